"""The recommendations of the container security guidance that checks serve, and the
parts of them no control-plane audit can verify, listed in reports as manual items."""

from __future__ import annotations

RECOMMENDATIONS: dict[str, str] = {
    "private-registry": "Use a private registry",
    "scan-images": "Monitor and scan container images, in CI and in the registry",
    "protect-credentials": "Protect credentials: no secrets in images or environment, Key Vault, least-privilege RBAC",
    "vuln-to-running": "Map image vulnerabilities to running containers",
    "approved-images": "Only approved images; image signing and content trust",
    "approved-registries": "Permit only approved registries",
    "image-integrity": "Integrity through the lifecycle: no vulnerable images in production, audit out-of-date images",
    "least-privilege-runtime": "Least privilege at runtime: no privileged containers, non-root, no needless privileges",
    "resource-limits": "Limit resources per container",
    "network-segmentation": "Segment running containers; no needless public exposure",
    "monitor-activity": "Monitor container activity, user access and resource activity",
    "log-admin-access": "Log all administrative access to containers, registries and images",
    "defender": "Use Microsoft Defender for Cloud for image scanning and posture",
}

MANUAL_ITEMS: dict[str, tuple[str, ...]] = {
    "scan-images": ("Images are scanned in the CI pipeline before they are pushed (pipeline configuration).",),
    "vuln-to-running": (
        "Vulnerabilities of images from registries outside the audited scope, or without a fix yet, are "
        "triaged against the container groups that run them by their owners (IMG001 judges fixable findings "
        "of audited registries).",
    ),
    "approved-images": ("Signatures are verified before deployment (AKS with Ratify, or the pipeline).",),
    "image-integrity": ("Images from registries outside the audited scope are kept current by their owners.",),
    "least-privilege-runtime": (
        "Images declare a non-root USER when the container group sets no runAsUser (visible only in the image).",
    ),
    "monitor-activity": ("Alerts and runbooks exist for suspicious container activity (SIEM configuration).",),
    "protect-credentials": ("No secret is baked into image layers (needs image content scanning).",),
}
