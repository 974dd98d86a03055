"""The Azure clouds azaudit can audit, and the endpoints that follow from the choice."""

from __future__ import annotations

import enum

import msgspec


class CloudName(enum.Enum):
    PUBLIC = "public"
    CHINA = "china"
    USGOVERNMENT = "usgovernment"


class Cloud(msgspec.Struct, frozen=True, kw_only=True):
    name: CloudName
    arm_endpoint: str
    authority_host: str
    vault_suffix: str  # the DNS suffix of Key Vault data-plane hosts
    registry_suffix: str  # the DNS suffix of Azure Container Registry login servers

    @property
    def arm_scope(self) -> str:
        return self.arm_endpoint.rstrip("/") + "/.default"


CLOUDS: dict[CloudName, Cloud] = {
    CloudName.PUBLIC: Cloud(
        name=CloudName.PUBLIC,
        arm_endpoint="https://management.azure.com",
        authority_host="login.microsoftonline.com",
        vault_suffix="vault.azure.net",
        registry_suffix="azurecr.io",
    ),
    CloudName.CHINA: Cloud(
        name=CloudName.CHINA,
        arm_endpoint="https://management.chinacloudapi.cn",
        authority_host="login.chinacloudapi.cn",
        vault_suffix="vault.azure.cn",
        registry_suffix="azurecr.cn",
    ),
    CloudName.USGOVERNMENT: Cloud(
        name=CloudName.USGOVERNMENT,
        arm_endpoint="https://management.usgovcloudapi.net",
        authority_host="login.microsoftonline.us",
        vault_suffix="vault.usgovcloudapi.net",
        registry_suffix="azurecr.us",
    ),
}
