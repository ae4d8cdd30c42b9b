"""Model-ready frames fed to SAM2 straight from a Stack.

sam2's ``init_state`` wants a folder of JPEGs and loads every frame as float32
(12 MB per frame at 1024 px). Instead its inference state gets this sequence, which
decodes a frame when SAM2 asks for it and applies exactly sam2's own preprocessing
(Pillow resize of the uint8 RGB image, /255, ImageNet mean/std in float32), so the
tensors are bit-identical to what sam2 would have built from the same pixels.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch
from PIL import Image

from ..io import Stack

IMG_MEAN = (0.485, 0.456, 0.406)
IMG_STD = (0.229, 0.224, 0.225)


def preprocess(rgb: np.ndarray, image_size: int) -> torch.Tensor:
    """uint8 RGB (Y, X, 3) to the resized uint8 (3, S, S) tensor sam2 starts from."""
    resized = np.array(Image.fromarray(rgb).resize((image_size, image_size)))
    return torch.from_numpy(resized).permute(2, 0, 1)


class SamFrames:
    """Sequence of normalised (3, S, S) float32 frames on ``device``.

    Resized uint8 frames are cached (4× smaller than float32): all of them in
    normal mode, the last ``cache_size`` in the low-memory modes, where frames live
    on the CPU and are decoded on demand.
    """

    def __init__(
        self,
        stack: Stack,
        image_size: int,
        device: torch.device,
        cache_size: int | None,
        cache_device: torch.device,
    ) -> None:
        self.stack = stack
        self.image_size = image_size
        self.device = device
        self.cache_size = cache_size
        self.cache_device = cache_device
        self._cache: OrderedDict[int, torch.Tensor] = OrderedDict()
        self._mean = torch.tensor(IMG_MEAN, dtype=torch.float32)[:, None, None].to(device)
        self._std = torch.tensor(IMG_STD, dtype=torch.float32)[:, None, None].to(device)

    def __len__(self) -> int:
        return self.stack.n_frames

    def uint8(self, i: int) -> torch.Tensor:
        """The resized uint8 frame ``i``, from the cache when there."""
        frame = self._cache.get(i)
        if frame is None:
            frame = preprocess(self.stack.display_frame(i), self.image_size).to(self.cache_device)
            self._cache[i] = frame
            if self.cache_size is not None:
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(i)
        return frame

    def __getitem__(self, i: int) -> torch.Tensor:
        # Same arithmetic and order as sam2.utils.misc.load_video_frames_from_jpg_images:
        # uint8 / 255.0 in float64, cast to float32, then (x - mean) / std in float32.
        img = (self.uint8(int(i)).to(self.device).double() / 255.0).float()
        img -= self._mean
        img /= self._std
        return img

    @property
    def cached_bytes(self) -> int:
        return sum(t.numel() for t in self._cache.values())
