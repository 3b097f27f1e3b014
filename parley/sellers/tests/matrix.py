"""The seller API's authorization matrix, shared by its test and the whole service's matrix
(parley/security/tests): the world (two of each kind of caller, a conversation, tokens), the
callers, the customer and seller conversation calls and what each caller gets."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import (
    DataSourceFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
)
from parley.conversations import services as conversation_services
from parley.conversations.models import Attachment, Conversation, Message
from parley.core.tests import samples
from parley.mail.models import OutgoingEmail
from parley.sellers import services as seller_services
from parley.sellers.models import SellerToken
from parley.sellers.tests.factories import token_issue
from parley.webhooks import services as webhook_services
from parley.webhooks.models import WebhookDelivery, WebhookEndpoint

PRINCIPALS = (
    "anonymous",
    "customer",
    "other_customer",
    "seller",
    "other_seller",
    "revoked_token",
    "malformed_token",
)


@dataclass
class World:
    customer: Any
    other_customer: Any
    seller: Any
    other_seller: Any
    product: Any
    conversation: Conversation
    keys: dict[str, str]
    order: Any
    webhook: WebhookEndpoint
    delivery: WebhookDelivery
    # Message attachments (API.md §8), by state: the customer's unlinked upload, one linked
    # to a visible message of the conversation, one of a hidden message, another customer's.
    attachments: dict[str, str]


def world_build() -> World:
    """For a `world` fixture: two of each kind of caller, a conversation, an order, tokens."""
    customer, other_customer = UserFactory.create(), UserFactory.create()
    seller, other_seller = DataSourceFactory.create(), DataSourceFactory.create()
    product = ProductFactory.create(datasource=seller)
    conversation = conversation_services.conversation_create(
        user=customer,
        datasource=seller,
        conversation_type="question",
        content="Is it cotton?",
        user_type="registered",
        is_public=True,
        item_content="product",
        item_id=product.pk,
    ).conversation
    order = OrderFactory.create(user=customer)
    OrderItemFactory.create(order=order, product=product)
    OrderItemFactory.create(order=OrderFactory.create(user=other_customer, email=customer.email))
    _, seller_key = token_issue(seller)
    revoked, revoked_key = token_issue(seller)
    seller_services.seller_token_revoke(token=revoked)
    _, other_seller_key = token_issue(other_seller)
    # Other conversations, so that every list has something to leak if it could.
    conversation_services.conversation_create(
        user=other_customer,
        datasource=other_seller,
        conversation_type="message",
        content="Other seller, other customer",
        user_type="registered",
    )
    # A webhook endpoint for each seller (a public literal address: no DNS), with a delivery.
    webhook = webhook_services.webhook_endpoint_create(
        datasource=seller, url="https://93.184.215.14/hooks"
    )
    webhook_services.webhook_endpoint_create(
        datasource=other_seller, url="https://93.184.215.14/other"
    )
    webhook_services.webhook_event_emit(
        event_type="message.created", seller=seller, data={"conversation": conversation.pk}
    )
    return World(
        attachments=_attachments_build(customer, other_customer, seller, conversation),
        webhook=webhook,
        delivery=WebhookDelivery.objects.get(endpoint=webhook),
        customer=customer,
        other_customer=other_customer,
        seller=seller,
        other_seller=other_seller,
        product=product,
        conversation=conversation,
        keys={
            "seller": seller_key,
            "other_seller": other_seller_key,
            "revoked_token": revoked_key,
            "malformed_token": "psk_not-a-key",
        },
        order=order,
    )


def _pdf_upload(**uploader: Any) -> str:
    upload = SimpleUploadedFile("invoice.pdf", samples.pdf())
    return conversation_services.attachment_upload(upload=upload, **uploader).public_id


def _attachments_build(
    customer: Any, other_customer: Any, seller: Any, conversation: Conversation
) -> dict[str, str]:
    """Linked straight to the conversation's messages, so that the conversation's state (its
    marks, counts and webhooks, which other rows assert) stays as the opening left it."""
    opening = Message.objects.get(conversation=conversation)
    linked = _pdf_upload(user_id=customer.pk)
    Attachment.objects.filter(public_id=linked).update(message=opening)
    hidden_message = Message.objects.create(
        conversation=conversation,
        message_content="A label.",
        content_type="datasource",
        content_id=seller.pk,
        user_type="registered",
        is_hidden=True,
        has_attachments=True,
    )
    hidden = _pdf_upload(datasource_id=seller.pk)
    Attachment.objects.filter(public_id=hidden).update(message=hidden_message)
    Message.objects.filter(pk=opening.pk).update(has_attachments=True)
    return {
        "uploaded": _pdf_upload(user_id=customer.pk),
        "linked": linked,
        "hidden": hidden,
        "others": _pdf_upload(user_id=other_customer.pk),
    }


def client_as(client_api: Any, world: World, principal: str) -> Any:
    """Every caller carries a valid CSRF token, so a refusal is never about CSRF."""
    if principal == "customer":
        client_api.login_as(world.customer)
        return client_api
    if principal == "other_customer":
        client_api.login_as(world.other_customer)
        return client_api
    csrf = client_api.fetch_csrf()
    if principal in world.keys:
        client_api.credentials(
            HTTP_X_CSRFTOKEN=csrf, HTTP_AUTHORIZATION=f"Token {world.keys[principal]}"
        )
    return client_api


def snapshot() -> tuple[Any, ...]:
    return (
        list(Conversation.objects.order_by("id").values()),
        list(Message.objects.order_by("id").values()),
        list(OutgoingEmail.objects.order_by("id").values_list("id", "kind", "to")),
        # last_used moves when a valid token is presented, refused or not: that is its job.
        list(SellerToken.objects.order_by("id").values("id", "revoked_at", "key_hash")),
        list(WebhookEndpoint.objects.order_by("id").values()),
        list(WebhookDelivery.objects.order_by("id").values()),
        list(Attachment.objects.order_by("id").values()),
    )


Call = Callable[[Any, World], Any]


def users_list(client: Any, world: World) -> Any:
    return client.get("/users/conversations/")


def users_detail(client: Any, world: World) -> Any:
    return client.get(f"/users/conversations/{world.conversation.pk}/")


def users_append(client: Any, world: World) -> Any:
    me = client.session.get("_auth_user_id")
    writer = int(me) if me else world.customer.pk
    return client.post(
        "/users/conversations/",
        {
            "conversation": world.conversation.pk,
            "conversation_type": "question",
            "user": writer,
            "user_type": "registered",
            "message_content": "Any news?",
            "datasource": world.seller.pk,
            "content_type": "user",
            "content_id": writer,
        },
        format="json",
    )


def users_open(client: Any, world: World) -> Any:
    me = client.session.get("_auth_user_id")
    writer = int(me) if me else world.customer.pk
    return client.post(
        "/users/conversations/",
        {
            "conversation_type": "review",
            "user": writer,
            "user_type": "registered",
            "message_content": "Great towel",
            "datasource": world.seller.pk,
            "content_type": "user",
            "content_id": writer,
        },
        format="json",
    )


def users_orders(client: Any, world: World) -> Any:
    return client.get("/users/orders/")


def users_order(client: Any, world: World) -> Any:
    return client.get(f"/users/orders/{world.order.pk}/")


def seller_list(client: Any, world: World) -> Any:
    return client.get("/seller/conversations/")


def seller_detail(client: Any, world: World) -> Any:
    return client.get(f"/seller/conversations/{world.conversation.pk}/")


def seller_answer(client: Any, world: World) -> Any:
    return client.post(
        f"/seller/conversations/{world.conversation.pk}/messages/",
        {"message_content": "It is cotton."},
        format="json",
    )


def seller_stats(client: Any, world: World) -> Any:
    return client.get("/seller/conversations/stats/")


def seller_webhooks(client: Any, world: World) -> Any:
    return client.get("/seller/webhooks/")


def seller_webhook_create(client: Any, world: World) -> Any:
    return client.post("/seller/webhooks/", {"url": "https://93.184.215.14/new"}, format="json")


def seller_webhook_detail(client: Any, world: World) -> Any:
    return client.get(f"/seller/webhooks/{world.webhook.pk}/")


def seller_webhook_update(client: Any, world: World) -> Any:
    return client.patch(
        f"/seller/webhooks/{world.webhook.pk}/", {"event_types": ["message.hidden"]}, format="json"
    )


def seller_webhook_delete(client: Any, world: World) -> Any:
    return client.delete(f"/seller/webhooks/{world.webhook.pk}/")


def seller_webhook_rotate(client: Any, world: World) -> Any:
    return client.post(f"/seller/webhooks/{world.webhook.pk}/rotate-secret/")


def seller_webhook_deliveries(client: Any, world: World) -> Any:
    return client.get(f"/seller/webhooks/{world.webhook.pk}/deliveries/")


def seller_webhook_retry(client: Any, world: World) -> Any:
    return client.post(f"/seller/webhooks/{world.webhook.pk}/deliveries/{world.delivery.pk}/retry/")


def users_unread(client: Any, world: World) -> Any:
    return client.get("/users/conversations/unread/")


def users_receipts(client: Any, world: World) -> Any:
    return client.get(f"/users/conversations/{world.conversation.pk}/read/")


def users_read(client: Any, world: World) -> Any:
    return client.post(f"/users/conversations/{world.conversation.pk}/read/", {}, format="json")


def users_mark_unread(client: Any, world: World) -> Any:
    return client.post(f"/users/conversations/{world.conversation.pk}/unread/")


def seller_unread(client: Any, world: World) -> Any:
    return client.get("/seller/conversations/unread/")


def seller_receipts(client: Any, world: World) -> Any:
    return client.get(f"/seller/conversations/{world.conversation.pk}/read/")


def seller_read(client: Any, world: World) -> Any:
    return client.post(f"/seller/conversations/{world.conversation.pk}/read/", {}, format="json")


def seller_mark_unread(client: Any, world: World) -> Any:
    return client.post(f"/seller/conversations/{world.conversation.pk}/unread/")


def users_attachment_upload(client: Any, world: World) -> Any:
    upload = SimpleUploadedFile("photo.png", samples.image("PNG"))
    return client.post("/users/conversations/attachments/", {"file": upload}, format="multipart")


def users_attachments(client: Any, world: World) -> Any:
    return client.get(f"/users/conversations/{world.conversation.pk}/attachments/")


def seller_attachment_upload(client: Any, world: World) -> Any:
    upload = SimpleUploadedFile("label.pdf", samples.pdf())
    return client.post("/seller/conversations/attachments/", {"file": upload}, format="multipart")


def _download(state: str) -> Call:
    return lambda client, world: client.get(f"/attachments/{world.attachments[state]}/")


ENDPOINTS: dict[str, Call] = {
    "users_list": users_list,
    "users_detail": users_detail,
    "users_append": users_append,
    "users_open": users_open,
    "users_orders": users_orders,
    "users_order": users_order,
    "seller_list": seller_list,
    "seller_detail": seller_detail,
    "seller_answer": seller_answer,
    "seller_stats": seller_stats,
    "seller_webhooks": seller_webhooks,
    "seller_webhook_create": seller_webhook_create,
    "seller_webhook_detail": seller_webhook_detail,
    "seller_webhook_update": seller_webhook_update,
    "seller_webhook_delete": seller_webhook_delete,
    "seller_webhook_rotate": seller_webhook_rotate,
    "seller_webhook_deliveries": seller_webhook_deliveries,
    "seller_webhook_retry": seller_webhook_retry,
    "users_unread": users_unread,
    "users_receipts": users_receipts,
    "users_read": users_read,
    "users_mark_unread": users_mark_unread,
    "seller_unread": seller_unread,
    "seller_receipts": seller_receipts,
    "seller_read": seller_read,
    "seller_mark_unread": seller_mark_unread,
    "users_attachment_upload": users_attachment_upload,
    "users_attachments": users_attachments,
    "seller_attachment_upload": seller_attachment_upload,
    "attachment_uploaded": _download("uploaded"),
    "attachment_linked": _download("linked"),
    "attachment_hidden": _download("hidden"),
    "attachment_others": _download("others"),
}
_NOT_A_CUSTOMER = {"anonymous": 403, "seller": 403, "other_seller": 403}
_NOT_A_CUSTOMER |= {"revoked_token": 403, "malformed_token": 403}
_NOT_A_SELLER = {"anonymous": 401, "customer": 401, "other_customer": 401}
_NOT_A_SELLER |= {"revoked_token": 401, "malformed_token": 401}
_NOBODY = dict.fromkeys(PRINCIPALS, 404)
EXPECTED: dict[str, dict[str, int]] = {
    "users_list": {**_NOT_A_CUSTOMER, "customer": 200, "other_customer": 200},
    "users_detail": {**_NOT_A_CUSTOMER, "customer": 200, "other_customer": 404},
    "users_append": {**_NOT_A_CUSTOMER, "customer": 201, "other_customer": 400},
    "users_open": {**_NOT_A_CUSTOMER, "customer": 201, "other_customer": 201},
    "users_orders": {**_NOT_A_CUSTOMER, "customer": 200, "other_customer": 200},
    "users_order": {**_NOT_A_CUSTOMER, "customer": 200, "other_customer": 404},
    "seller_list": {**_NOT_A_SELLER, "seller": 200, "other_seller": 200},
    "seller_detail": {**_NOT_A_SELLER, "seller": 200, "other_seller": 404},
    "seller_answer": {**_NOT_A_SELLER, "seller": 201, "other_seller": 404},
    "seller_stats": {**_NOT_A_SELLER, "seller": 200, "other_seller": 200},
    "seller_webhooks": {**_NOT_A_SELLER, "seller": 200, "other_seller": 200},
    "seller_webhook_create": {**_NOT_A_SELLER, "seller": 201, "other_seller": 201},
    "seller_webhook_detail": {**_NOT_A_SELLER, "seller": 200, "other_seller": 404},
    "seller_webhook_update": {**_NOT_A_SELLER, "seller": 200, "other_seller": 404},
    "seller_webhook_delete": {**_NOT_A_SELLER, "seller": 204, "other_seller": 404},
    "seller_webhook_rotate": {**_NOT_A_SELLER, "seller": 200, "other_seller": 404},
    "seller_webhook_deliveries": {**_NOT_A_SELLER, "seller": 200, "other_seller": 404},
    "seller_webhook_retry": {**_NOT_A_SELLER, "seller": 202, "other_seller": 404},
    "users_unread": {**_NOT_A_CUSTOMER, "customer": 200, "other_customer": 200},
    "users_receipts": {**_NOT_A_CUSTOMER, "customer": 200, "other_customer": 404},
    "users_read": {**_NOT_A_CUSTOMER, "customer": 200, "other_customer": 404},
    "users_mark_unread": {**_NOT_A_CUSTOMER, "customer": 200, "other_customer": 404},
    "seller_unread": {**_NOT_A_SELLER, "seller": 200, "other_seller": 200},
    "seller_receipts": {**_NOT_A_SELLER, "seller": 200, "other_seller": 404},
    "seller_read": {**_NOT_A_SELLER, "seller": 200, "other_seller": 404},
    "seller_mark_unread": {**_NOT_A_SELLER, "seller": 200, "other_seller": 404},
    "users_attachment_upload": {**_NOT_A_CUSTOMER, "customer": 201, "other_customer": 201},
    "users_attachments": {**_NOT_A_CUSTOMER, "customer": 200, "other_customer": 404},
    "seller_attachment_upload": {**_NOT_A_SELLER, "seller": 201, "other_seller": 201},
    # A download is 404 for everyone it is not for, anonymous callers and bad tokens
    # included: the answer never tells that a file exists.
    "attachment_uploaded": {**_NOBODY, "customer": 200},
    "attachment_linked": {**_NOBODY, "customer": 200, "seller": 200},
    "attachment_hidden": _NOBODY,
    "attachment_others": {**_NOBODY, "other_customer": 200},
}
CASES = [(endpoint, principal) for endpoint in ENDPOINTS for principal in PRINCIPALS]
