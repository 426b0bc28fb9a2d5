"""The limits of the cleaners' sandbox (cases/evidence/sandbox.py), light enough for the configuration
to import without Pillow or pikepdf."""

from dataclasses import dataclass

# An image declaring more pixels than this is refused from its header, before decoding
# (64 Mpx: every phone camera's default mode and 50 Mpx full-resolution modes; a 108 or
# 200 Mpx photo is kept as sent, not cleaned). Configurable: KANAL_MAX_IMAGE_MPX.
MAX_PIXELS = 64_000_000

# All the cleaning one request may do, in wall seconds (ten files at 30 s each would hold a sync
# worker 300 s, past gunicorn's 120 s timeout, and the killed worker would lose the report). Once
# spent, the request's remaining files are kept as sent, marked not cleaned (review finding).
REQUEST_CLEANING_SECONDS = 60.0


@dataclass(frozen=True)
class SandboxLimits:
    """Configurable as KANAL_SANDBOX_MEMORY_MB, _CPU_SECONDS, _WALL_SECONDS, _POOL, _JOBS and
    KANAL_MAX_IMAGE_MPX (cases/platform/config.py)."""

    memory_mb: int = 1024
    cpu_seconds: int = 20
    wall_seconds: float = 30.0
    max_pixels: int = MAX_PIXELS
    pool_size: int = 1
    jobs_per_child: int = 50
