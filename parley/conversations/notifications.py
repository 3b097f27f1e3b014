"""E-mail the other side of a conversation when a message arrives.

`message_notify` is called by `parley.conversations.services.message_append`, inside its
transaction: the outbox row commits or rolls back with the message, and the outbox delivers it
after the commit, with retries (the Contact Us guarantees). A customer's message goes to the
seller's address; a seller's answer goes to the customer. Nothing here may make the message
itself fail: a seller without a usable address means no e-mail and a log line.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation

from parley.catalog.models import OrderItem, Product
from parley.conversations.models import Conversation, ItemContent, Message, WriterType
from parley.mail.models import OutgoingEmail
from parley.mail.services import email_queue, email_render

logger = logging.getLogger(__name__)

KIND_TO_SELLER = "conversation_to_seller"
KIND_TO_CUSTOMER = "conversation_to_customer"


def item_describe(conversation: Conversation) -> str:
    """What the conversation is about, in words: the product, or the order item."""
    if conversation.item_id is None:
        return ""
    if conversation.item_content == ItemContent.PRODUCT:
        product = Product.objects.filter(pk=conversation.item_id).first()
        if product is not None:
            return f"{product.name} ({product.sku})"
    elif conversation.item_content == ItemContent.ORDERITEM:
        item = (
            OrderItem.objects.select_related("order", "product")
            .filter(pk=conversation.item_id)
            .first()
        )
        if item is not None:
            return f"{item.product.name} ({item.product.sku}) of order {item.order.number}"
    return ""


def message_notify(*, message: Message) -> OutgoingEmail | None:
    """Queue the e-mail about this message for the other side; None when there is nobody to
    write to."""
    conversation = Conversation.objects.select_related("user", "datasource").get(
        pk=message.conversation_id
    )
    seller, customer = conversation.datasource, conversation.user
    to_seller = message.content_type == WriterType.USER
    recipient = (seller.email or "").strip() if to_seller else customer.email
    if not recipient:
        logger.warning(
            "conversation %s: seller %s (%s) has no e-mail address; message %s not notified",
            conversation.pk,
            seller.pk,
            seller.name,
            message.pk,
        )
        return None

    with translation.override(settings.LANGUAGE_CODE):
        item = item_describe(conversation)
        about = f" about {item}" if item else ""
        kind_word = conversation.get_conversation_type_display().lower()
        context: dict[str, Any] = {
            "conversation": conversation,
            "message": message,
            "seller": seller,
            "customer": customer,
            "item": item,
            "kind_word": kind_word,
            # The thread in the seller inbox; the customer's e-mail carries no link to it.
            "inbox_url": f"{settings.PARLEY_PUBLIC_URL}/seller/inbox/{conversation.pk}/",
        }
        if to_seller:
            template, kind = "conversations/email/message_to_seller", KIND_TO_SELLER
            subject = f"New {kind_word} from a customer{about} (conversation #{conversation.pk})"
        else:
            template, kind = "conversations/email/message_to_customer", KIND_TO_CUSTOMER
            subject = f"{seller.title or seller.name} answered your {kind_word}{about}"
        text_body, html_body = email_render(template, context)

    try:
        return email_queue(
            to=[recipient],
            subject=subject,
            text_body=text_body,
            html_body=html_body,
            kind=kind,
            about_user_id=customer.pk,
        )
    except ValidationError:
        # An address that is not one (imported seller data): the message still stands.
        logger.warning(
            "conversation %s: %r is not a usable address; message %s not notified",
            conversation.pk,
            recipient,
            message.pk,
        )
        return None
