from collections.abc import Iterator

from azaudit.applicability import CONFIDENTIAL_CONTAINER_GROUPS, LINUX_CONTAINER_GROUPS
from azaudit.catalogue import CheckContext, check
from azaudit.inventory.aci import SecurityContext
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity
from azaudit_checks.aci._paths import container_path

# The capabilities a container of a Confidential group gets when its security context adds none:
# the container runtime's default set, as the Azure CLI confcom extension writes it into the
# enforcement policy (``default_unprivileged_capabilities``), without the ``CAP_`` prefix.
DEFAULT_CAPABILITIES = frozenset(
    [
        "CHOWN",
        "DAC_OVERRIDE",
        "FSETID",
        "FOWNER",
        "MKNOD",
        "NET_RAW",
        "SETGID",
        "SETUID",
        "SETFCAP",
        "SETPCAP",
        "NET_BIND_SERVICE",
        "SYS_CHROOT",
        "KILL",
        "AUDIT_WRITE",
    ]
)


def _capability(name: str) -> str:
    upper = name.strip().upper()
    return upper[4:] if upper.startswith("CAP_") else upper


def _reasons(context: SecurityContext) -> list[str]:
    """Why a container may escalate privileges or holds more than the default capabilities."""
    reasons = []
    if context.allow_privilege_escalation:
        reasons.append("allows privilege escalation")
    elif context.allow_privilege_escalation is None and not context.privileged:
        reasons.append("does not set allowPrivilegeEscalation to false (Azure's default allows escalation)")
    beyond = [c for c in context.capabilities_add if _capability(c) not in DEFAULT_CAPABILITIES]
    if beyond:
        reasons.append(f"adds capabilities {', '.join(beyond)}")
    return reasons


@check(
    code="ACI006",
    name="privilege-escalation-allowed",
    title="No container may escalate privileges or add capabilities",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("least-privilege-runtime",),
    mcsb=("PV-2",),
    applies_to=(LINUX_CONTAINER_GROUPS, CONFIDENTIAL_CONTAINER_GROUPS),
)
def privilege_escalation_allowed(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The security context of every container and init container of each Confidential container
    group: it FAILs when `allowPrivilegeEscalation` is true or absent (Azure's default allows
    escalation), or when `capabilities.add` lists a capability beyond the container runtime's
    default set. One FAIL per container, naming it, the reason and the capabilities added.
    Standard, Dedicated and Windows groups are not applicable: one SKIPPED outcome per group.

    ## Why it matters
    Allowing privilege escalation lets a process gain more privileges than its parent (through
    setuid binaries, for example), and each added Linux capability (`NET_ADMIN`, `SYS_PTRACE`,
    `SYS_ADMIN`...) hands the container a slice of root's power over the kernel. An attacker who
    gets code execution in the container inherits all of it. The container security guidance asks
    to remove every privilege a container does not need.

    ## How to fix
    Set `allowPrivilegeEscalation: false`, drop `ALL` capabilities and add back only what the
    process needs (usually nothing), regenerate the enforcement policy and redeploy the group:

    ```bash
    az confcom acipolicygen --template-file container-group.json
    az deployment group create --resource-group <rg> --template-file container-group.json
    ```

    ## Decisions
    Container security contexts exist only on Confidential groups (see ACI005), so other groups
    are SKIPPED once per group. On a Confidential group Azure's defaults are those the Azure CLI
    `confcom` extension writes into the enforcement policy for an absent field: an absent
    `allowPrivilegeEscalation` allows escalation (`no_new_privileges: false`), so it FAILs (this
    check used to PASS it); absent capabilities mean the runtime's default set (`CHOWN`,
    `DAC_OVERRIDE`, `FSETID`, `FOWNER`, `MKNOD`, `NET_RAW`, `SETGID`, `SETUID`, `SETFCAP`,
    `SETPCAP`, `NET_BIND_SERVICE`, `SYS_CHROOT`, `KILL`, `AUDIT_WRITE`). Adding a capability of
    that default set grants nothing the container would not have had, so only capabilities beyond
    it FAIL (this check used to FAIL `drop: [ALL]` with `add: [NET_BIND_SERVICE]`, the
    least-privilege pattern). Names are compared without the `CAP_` prefix and case. The REST
    API's other fields are not judged here: `seccompProfile` is a base64-encoded JSON profile
    (absent: the runtime's default profile), and `runAsUser`/`runAsGroup` are ACI007's. A privileged
    container is ACI005's finding: for it, only an explicit `allowPrivilegeEscalation: true` or an
    added capability is reported here. No Azure Policy built-in definition tests container group
    security contexts, so the check names none.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-confidential-overview
    - https://learn.microsoft.com/rest/api/container-instances/container-groups/create-or-update
    - https://github.com/Azure/azure-cli-extensions/tree/main/src/confcom
    - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
    """
    for group in ctx.inventory.container_groups:
        found = 0
        for container in group.containers:
            context = container.security_context or SecurityContext()
            reasons = _reasons(context)
            if reasons:
                found += 1
                kind_of = "init container" if container.init else "container"
                escalation = context.allow_privilege_escalation
                path = f"{container_path(container)}.properties.securityContext"
                yield Outcome.failed(
                    group,
                    f"{kind_of} {container.name} {' and '.join(reasons)}",
                    item=container.name,
                    evidence={
                        f"{path}.allowPrivilegeEscalation": "absent (Azure default: allowed)"
                        if escalation is None
                        else str(escalation).lower(),
                        f"{path}.capabilities.add": ", ".join(context.capabilities_add) or "absent",
                    },
                )
        if not found:
            path = "properties.containers[].properties.securityContext"
            yield Outcome.passed(
                group,
                "no container may escalate privileges or adds a capability beyond the default set",
                evidence={
                    f"{path}.allowPrivilegeEscalation": f"not allowed in {len(group.containers)} container(s)",
                    f"{path}.capabilities.add": "nothing beyond the default set",
                },
            )
