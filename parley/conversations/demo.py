"""Demo conversations: two public product questions on the towel that the seller answered (in
Turkish and in English, for similar questions), an order-item message still waiting for its
answer, and another customer's answered question, from the demo customers."""

from typing import Any

from parley.accounts.models import User
from parley.catalog.models import DataSource, OrderItem, Product
from parley.conversations import services
from parley.conversations.models import Conversation, ConversationType, ItemContent, WriterType


def _open(
    *,
    user: User,
    datasource: DataSource,
    conversation_type: str,
    item_content: str,
    item_id: int,
    subject: str,
    content: str,
    answer: str | None = None,
    is_public: bool = False,
) -> Conversation:
    existing = Conversation.objects.filter(
        user=user,
        datasource=datasource,
        conversation_type=conversation_type,
        item_content=item_content,
        item_id=item_id,
    ).first()
    if existing is not None:
        return existing
    conversation = services.conversation_create(
        user=user,
        datasource=datasource,
        conversation_type=conversation_type,
        content=content,
        user_type=user.user_type,
        subject=subject,
        is_public=is_public,
        item_content=item_content,
        item_id=item_id,
    ).conversation
    if answer is not None:
        services.message_append(
            conversation=conversation,
            content=answer,
            content_type=WriterType.DATASOURCE,
            content_id=datasource.pk,
            user_type=user.user_type,
        )
    return conversation


def seed(demo: dict[str, Any]) -> None:
    ayse = User.objects.get(pk=demo["customers"][0]["id"])
    john = User.objects.get(pk=demo["customers"][1]["id"])
    towel = Product.objects.select_related("datasource").get(sku="AT-TOWEL-01")
    lamp_item = OrderItem.objects.select_related("datasource").get(
        order__number="DEMO-1001", product__sku="NH-LAMP-01"
    )
    mug = Product.objects.select_related("datasource").get(sku="NH-MUG-02")
    conversations = [
        _open(
            user=ayse,
            datasource=towel.datasource,
            conversation_type=ConversationType.QUESTION,
            item_content=ItemContent.PRODUCT,
            item_id=towel.pk,
            subject="Peştemal yıkama",
            content="Bu peştemal 60 derecede yıkanabilir mi? 🧺",
            answer="Evet, 60 derecede yıkayabilirsiniz; ilk yıkamada renk verebilir.",
            is_public=True,
        ),
        _open(
            user=john,
            datasource=towel.datasource,
            conversation_type=ConversationType.QUESTION,
            item_content=ItemContent.PRODUCT,
            item_id=towel.pk,
            subject="Shipping",
            content="How many days does it take before the towel is shipped?",
            answer="We ship within one working day; delivery takes 2-3 days in Türkiye.",
            is_public=True,
        ),
        _open(
            user=ayse,
            datasource=lamp_item.datasource,
            conversation_type=ConversationType.MESSAGE,
            item_content=ItemContent.ORDERITEM,
            item_id=lamp_item.pk,
            subject="Lamp arrived without a bulb",
            content="My lamp arrived without the bulb shown in the photos. Can you send one?",
        ),
        _open(
            user=john,
            datasource=mug.datasource,
            conversation_type=ConversationType.QUESTION,
            item_content=ItemContent.PRODUCT,
            item_id=mug.pk,
            subject="Dishwasher safe?",
            content="Is this mug dishwasher safe?",
            answer="Yes, it is dishwasher and microwave safe.",
        ),
    ]
    # The similar-questions vectors of the public questions, now rather than by the background
    # thread after the commit, which a short-lived `seed_demo` process may not live to run.
    services.question_vectors_rebuild()
    demo.setdefault("conversations", [])
    for conversation in conversations:
        demo["conversations"].append(
            {
                "id": conversation.pk,
                "user": conversation.user_id,
                "datasource": conversation.datasource_id,
                "conversation_type": conversation.conversation_type,
                "item_content": conversation.item_content,
                "item_id": conversation.item_id,
                "is_answered": conversation.is_answered,
            }
        )
