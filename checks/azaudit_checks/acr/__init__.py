"""Azure Container Registry checks."""

from azaudit_checks.acr import (
    acr001_admin_user_enabled,
    acr002_anonymous_pull_enabled,
    acr003_public_network_unrestricted,
    acr004_no_private_endpoint,
    acr005_content_trust_still_enabled,
    acr006_quarantine_disabled,
    acr007_untagged_retention_disabled,
    acr008_export_allowed,
    acr009_repository_tokens_enabled,
    acr010_arm_audience_token_allowed,
    acr011_no_customer_managed_key,
)

__all__ = [
    "acr001_admin_user_enabled",
    "acr002_anonymous_pull_enabled",
    "acr003_public_network_unrestricted",
    "acr004_no_private_endpoint",
    "acr005_content_trust_still_enabled",
    "acr006_quarantine_disabled",
    "acr007_untagged_retention_disabled",
    "acr008_export_allowed",
    "acr009_repository_tokens_enabled",
    "acr010_arm_audience_token_allowed",
    "acr011_no_customer_managed_key",
]
