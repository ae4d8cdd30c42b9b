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
    title: str | None = None  # the label of a model that is not a SAM2 size

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        return f"SAM{self.version} {self.name.replace('_', ' ').title()}"


# EdgeTAM (``models/edgetam.py``): transformers' conversion of Meta's checkpoint
# (facebook/EdgeTAM's edgetam.pt, by transformers' convert_edgetam_video_to_hf.py), the
# repository transformers' own tests load, pinned to a revision. 55,912,824 bytes; the
# hash is the one published pins of this revision give (no download was possible
# where this was written).
_EDGETAM_REVISION = "c266ce53b3fc00f0f495b583f6a116c4e57f53bb"
EDGETAM = ModelSpec(
    name="edgetam",
    version="1",
    config="transformers EdgeTamVideoConfig",
    filename="edgetam-hf-model.safetensors",
    url=f"https://huggingface.co/yonigozlan/EdgeTAM-hf/resolve/{_EDGETAM_REVISION}/model.safetensors",
    sha256="8858f8e4757b0b96dab8763f296ecffd845efbbbf698f64163cfa20a63d5fff4",
    title="EdgeTAM",
)


def get_spec(name: str = "tiny", version: str = "2.1") -> ModelSpec:
    """The spec of a model by size name (tiny < small < base_plus < large), or
    "edgetam"."""
    if name.lower().strip() == EDGETAM.name:
        return EDGETAM
    key = _ALIASES.get(name.lower().strip(), name.lower().strip())
    if key not in MODEL_NAMES:
        raise ModelError(
            f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)} or edgetam"
        )
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
