"""Checks of the images container groups run, joined with their registries."""

from azaudit_checks.images import (
    img001_vulnerable_running_image,
    img002_out_of_date_running_image,
    img003_unsigned_running_image,
    img004_running_image_missing,
    img005_stale_running_image,
)

__all__ = [
    "img001_vulnerable_running_image",
    "img002_out_of_date_running_image",
    "img003_unsigned_running_image",
    "img004_running_image_missing",
    "img005_stale_running_image",
]
