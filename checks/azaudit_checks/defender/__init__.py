"""Microsoft Defender for Cloud checks."""

from azaudit_checks.defender import def001_defender_for_containers_off

__all__ = ["def001_defender_for_containers_off"]
