"""The export's answer, declared for OpenAPI (`GET /users/me/export/`). The sections are built
by each app's `personal_data` module; a test holds the two to the same keys."""

from rest_framework import serializers


class ProfileExportSerializer(serializers.Serializer):
    pk = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    gender = serializers.CharField(allow_null=True)
    date_of_birth = serializers.DateField(allow_null=True)
    email_allowed = serializers.BooleanField()
    sms_allowed = serializers.BooleanField()
    user_type = serializers.CharField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)


class OrderItemExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.CharField()
    seller = serializers.CharField()
    quantity = serializers.IntegerField()
    price = serializers.CharField()


class OrderExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    email = serializers.CharField()
    created_date = serializers.DateTimeField()
    items = OrderItemExportSerializer(many=True)


class ContactRequestExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_date = serializers.DateTimeField()
    subject = serializers.CharField()
    full_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    message = serializers.CharField()
    order = serializers.IntegerField(allow_null=True)
    language = serializers.CharField()
    client_ip = serializers.IPAddressField(allow_null=True)
    attachment_name = serializers.CharField(allow_null=True)


class MessageExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content_type = serializers.CharField()
    message_content = serializers.CharField()
    created_date = serializers.DateTimeField()
    is_hidden = serializers.BooleanField()


class SellerExportSerializer(serializers.Serializer):
    pk = serializers.IntegerField()
    name = serializers.CharField()


class ConversationExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversation_type = serializers.CharField()
    subject = serializers.CharField(allow_null=True)
    seller = SellerExportSerializer()
    item_content = serializers.CharField(allow_null=True)
    item_id = serializers.IntegerField(allow_null=True)
    is_public = serializers.BooleanField()
    created_date = serializers.DateTimeField()
    last_read_message_id = serializers.IntegerField(
        allow_null=True, help_text="The customer's read mark: the newest message they have read."
    )
    messages = MessageExportSerializer(many=True)


class EmailExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    to = serializers.ListField(child=serializers.CharField())
    reply_to = serializers.ListField(child=serializers.CharField())
    subject = serializers.CharField()
    text_body = serializers.CharField()
    attachment_names = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)


class RefusedMessageExportSerializer(serializers.Serializer):
    conversation_type = serializers.CharField()
    kinds = serializers.CharField(help_text="The kinds of contact detail found; no text is kept.")
    created_at = serializers.DateTimeField()


class SenderFlagExportSerializer(serializers.Serializer):
    blocks = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    throttled_until = serializers.DateTimeField()
    is_reviewed = serializers.BooleanField()


class ModerationExportSerializer(serializers.Serializer):
    refused_messages = RefusedMessageExportSerializer(many=True)
    sender_flags = SenderFlagExportSerializer(many=True)


class AttachmentExportSerializer(serializers.Serializer):
    """A message attachment the customer uploaded (API.md §8), linked or not."""

    id = serializers.CharField()
    message = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    created_at = serializers.DateTimeField()
    file_deleted = serializers.BooleanField(help_text="True when a scan found it infected.")


class CustomerExportSerializer(serializers.Serializer):
    profile = ProfileExportSerializer()
    orders = OrderExportSerializer(many=True)
    contact_requests = ContactRequestExportSerializer(many=True)
    conversations = ConversationExportSerializer(many=True)
    attachments = AttachmentExportSerializer(many=True)
    emails = EmailExportSerializer(many=True)
    moderation = ModerationExportSerializer()
