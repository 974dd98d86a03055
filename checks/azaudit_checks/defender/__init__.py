"""Microsoft Defender for Cloud checks."""

from azaudit_checks.defender import (
    def001_defender_for_containers_off,
    def002_defender_for_keyvault_off,
    def003_defender_cspm_off,
)

__all__ = ["def001_defender_for_containers_off", "def002_defender_for_keyvault_off", "def003_defender_cspm_off"]
