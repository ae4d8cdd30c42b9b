"""The official SAM2 checkpoints: names, configs, files and where they come from."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ModelError

MODEL_NAMES = ("tiny", "small", "base_plus", "large")
VERSIONS = ("2.1", "2.0")

_BASE_URLS = {
    "2.1": "https://dl.fbaipublicfiles.com/segment_anything_2/092824",
    "2.0": "https://dl.fbaipublicfiles.com/segment_anything_2/072824",
}
_CONFIG_SUFFIX = {"tiny": "t", "small": "s", "base_plus": "b+", "large": "l"}
_ALIASES = {
    "t": "tiny",
    "s": "small",
    "b": "base_plus",
    "b+": "base_plus",
    "base": "base_plus",
    "base+": "base_plus",
    "base-plus": "base_plus",
    "baseplus": "base_plus",
    "l": "large",
}


@dataclass(frozen=True)
class ModelSpec:
    """One released checkpoint.

    ``sha256`` is checked after download when known; without it, a download is
    accepted only if its size equals what the server announced and its state dict
    loads strictly into the architecture (see ``build.py``).
    """

    name: str
    version: str
    config: str
    filename: str
    url: str
    sha256: str | None = None

    @property
    def label(self) -> str:
        return f"SAM{self.version} {self.name.replace('_', ' ').title()}"


def get_spec(name: str = "tiny", version: str = "2.1") -> ModelSpec:
    """The spec of a model by size name (tiny < small < base_plus < large)."""
    key = _ALIASES.get(name.lower().strip(), name.lower().strip())
    if key not in MODEL_NAMES:
        raise ModelError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    version = str(version)
    if version not in VERSIONS:
        raise ModelError(f"unknown SAM2 version {version!r}; choose one of {', '.join(VERSIONS)}")
    if version == "2.1":
        config = f"configs/sam2.1/sam2.1_hiera_{_CONFIG_SUFFIX[key]}.yaml"
        filename = f"sam2.1_hiera_{key}.pt"
    else:
        config = f"configs/sam2/sam2_hiera_{_CONFIG_SUFFIX[key]}.yaml"
        filename = f"sam2_hiera_{key}.pt"
    return ModelSpec(key, version, config, filename, f"{_BASE_URLS[version]}/{filename}")
