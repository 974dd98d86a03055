"""Azure Container Instances checks."""

from azaudit_checks.aci import (
    aci001_unapproved_registry_image,
    aci002_mutable_image_reference,
    aci003_plaintext_secret_in_environment,
    aci004_credential_in_command_line,
    aci005_privileged_container,
    aci006_privilege_escalation_allowed,
    aci007_runs_as_root,
    aci008_limit_exceeds_request,
    aci009_public_ip_address,
    aci010_not_in_virtual_network,
    aci011_registry_password_credential,
    aci012_logs_not_exported,
    aci013_no_customer_managed_key,
    aci014_git_repo_volume_credential,
)

__all__ = [
    "aci001_unapproved_registry_image",
    "aci002_mutable_image_reference",
    "aci003_plaintext_secret_in_environment",
    "aci004_credential_in_command_line",
    "aci005_privileged_container",
    "aci006_privilege_escalation_allowed",
    "aci007_runs_as_root",
    "aci008_limit_exceeds_request",
    "aci009_public_ip_address",
    "aci010_not_in_virtual_network",
    "aci011_registry_password_credential",
    "aci012_logs_not_exported",
    "aci013_no_customer_managed_key",
    "aci014_git_repo_volume_credential",
]
