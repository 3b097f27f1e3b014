"""Contact Us: the subjects a customer picks from and every submission, kept as the inbox."""

from django.conf import settings
from django.db import models


class ContactSubject(models.Model):
    """A selectable subject. `text` is translated (see translation.py): text_en, text_tr, ..."""

    text = models.CharField(max_length=255)
    is_order_needed = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0, help_text="Position in the list.")
    is_active = models.BooleanField(default=True)

    # modeltranslation swaps in its multilingual manager at run time, which mypy cannot see
    objects = models.Manager()  # type: ignore[django-manager-missing]

    class Meta:
        ordering = ("order", "id")
        indexes = [models.Index(fields=("is_active", "order"), name="contactsubject_active")]

    def __str__(self) -> str:
        return self.text


class ContactRequest(models.Model):
    """One submission of the Contact Us form, with where its e-mail went."""

    subject = models.ForeignKey(ContactSubject, on_delete=models.PROTECT, related_name="requests")
    full_name = models.CharField(max_length=70)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=70, blank=True)
    message = models.TextField(max_length=10_000)
    order = models.ForeignKey(
        "catalog.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_requests",
    )
    operation = models.CharField(max_length=64)
    recipients = models.JSONField(default=list, help_text="Resolved from CONTACT_US_EMAIL_TO.")
    language = models.CharField(max_length=16)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_requests",
    )
    file = models.CharField(
        max_length=255, blank=True, help_text="Storage name (random) of the attachment."
    )
    file_name = models.CharField(
        max_length=255, blank=True, help_text="The attachment's sanitised original name."
    )
    file_mimetype = models.CharField(max_length=100, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    outgoing_email = models.OneToOneField(
        "mail.OutgoingEmail",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_request",
    )
    created_date = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_date", "-id")
        indexes = [models.Index(fields=("-created_date",), name="contactrequest_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(file="") | ~models.Q(file_name=""),
                name="contactrequest_file_has_name",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.full_name} <{self.email}>"
