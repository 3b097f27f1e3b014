import factory
from django.utils import timezone

from parley.accounts.models import UserType
from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations.models import Conversation, ConversationType, Message, WriterType


class ConversationFactory(factory.django.DjangoModelFactory[Conversation]):
    class Meta:
        model = Conversation

    user = factory.SubFactory(UserFactory)
    datasource = factory.SubFactory(DataSourceFactory)
    conversation_type = ConversationType.MESSAGE
    subject = factory.Sequence(lambda n: f"subject-{n}")
    last_message_date = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory[Message]):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    message_content = factory.Sequence(lambda n: f"message {n}")
    content_type = WriterType.USER
    content_id = factory.LazyAttribute(lambda message: message.conversation.user_id)
    user_type = UserType.REGISTERED
