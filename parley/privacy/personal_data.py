"""The privacy records hold no personal data. See parley/core/privacy.py."""

from parley.core.privacy import no_personal_data
from parley.privacy.models import PrivacyRecord

no_personal_data(
    PrivacyRecord, "who erased (a staff id), when, the erased account's id and row counts"
)
