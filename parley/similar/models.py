from django.db import models
from django.utils import timezone


class QuestionVector(models.Model):
    """The embedding of one public product question, computed by the worker when the question
    becomes visible or changes, never at search time (docs/SIMILAR.md)."""

    conversation = models.OneToOneField(
        "conversations.Conversation",
        on_delete=models.CASCADE,  # an erased conversation takes its vector with it
        primary_key=True,
        related_name="+",
    )
    # The product the question is about (the conversation's item_id): search reads one
    # product's rows.
    product_id = models.PositiveBigIntegerField()
    # The model that computed the vector; rows of another model are never compared.
    model = models.CharField(max_length=64)
    # The embedded text, so a changed question is recomputed and an unchanged one is not;
    # PostgreSQL's full-text ranking reads it too.
    text = models.TextField()
    # float32, native byte order, one value per dimension of the model.
    vector = models.BinaryField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=("product_id", "model"), name="qvector_product_model")]

    def __str__(self) -> str:
        return f"{self.model} vector of conversation #{self.conversation_id}"
