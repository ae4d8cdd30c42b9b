"""EdgeTAM (Hugging Face ``transformers``' ``EdgeTamVideoModel``) behind the engine's
tracker interface (:class:`~sam2_jupyter.engine.tracking.TrackerModel`).

The calls are transformers' own: its processor turns clicks and boxes into inputs,
its ``propagate_in_video_iterator`` tracks, and a prompt is answered by the step its
``forward`` runs for each object (``_run_single_frame_inference``), here for the
prompted object alone (``forward`` steps every object on the frame, which would
track the others there as a side effect of one click). What the engine needs beyond
them is done on the inference session's own dictionaries:

* **a correction is a conditioning frame** (the project's rule for SAM2 as well,
  see :data:`sam2_jupyter.models.build.CORRECTIONS_AS_CONDITIONING`): transformers
  stores a click on a frame propagation already tracked as an ordinary tracking
  output, which the next propagation recomputes. Here its output is moved to the
  object's conditioning outputs, so propagation keeps it exactly and tracks from it;
* removing an object, forgetting a frame's prompts, undo snapshots and the low memory
  modes' release of old outputs, which transformers' session does not offer.

Masks leave as logits at the video's size (bilinear from the model's low-resolution
masks, as transformers' ``post_process_masks`` and sam2 upsample them).
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .._sam2.state import release_outputs
from .state import EdgeTamState, LazyFrames, SessionFeatures

NO_OBJECT = -1024.0  # logits of an object with no output on a frame (sam2's NO_OBJ_SCORE)


class EdgeTamTracker:
    """An ``EdgeTamVideoModel`` and the processor that prepares its prompts."""

    name = "edgetam"
    # The session's disk store and correction cache hold SAM2's tensors; its in-memory
    # image-feature cache and precompute serve EdgeTAM through :meth:`encode`.
    caches_features = False

    def __init__(self, net: Any, processor: Any) -> None:
        self.net = net
        self.processor = processor

    # -- state ----------------------------------------------------------------------
    def new_state(
        self,
        frames: Any,
        height: int,
        width: int,
        *,
        device: torch.device,
        offload_video: bool,
        offload_state: bool,
        features: Any = None,
    ) -> EdgeTamState:
        from transformers.models.edgetam_video.modeling_edgetam_video import (
            EdgeTamVideoInferenceSession,
        )

        cpu = torch.device("cpu")
        session = EdgeTamVideoInferenceSession(
            video=None,
            video_height=height,
            video_width=width,
            inference_device=device,
            inference_state_device=cpu if offload_state else device,
            video_storage_device=cpu if offload_video else device,
            dtype=torch.float32,  # its default is the string "float32", which .to() refuses
        )
        session.processed_frames = LazyFrames(frames)
        if features is not None:
            session.cache = SessionFeatures(features)
        return EdgeTamState(session)

    def encode(self, image: torch.Tensor) -> dict[str, Any]:
        """What transformers keeps of a (1, 3, S, S) frame (its
        ``_prepare_vision_features``): the FPN levels and their position encodings."""
        out = self.net.get_image_features(image, return_dict=True)
        return {
            "vision_feats": out.fpn_hidden_states,
            "vision_pos_embeds": out.fpn_position_encoding,
        }

    # -- prompts --------------------------------------------------------------------
    def add_points(
        self,
        state: EdgeTamState,
        frame: int,
        obj_id: int,
        *,
        points: list[list[float]] | None = None,
        labels: list[int] | None = None,
        box: list[float] | None = None,
        clear_old: bool = True,
    ) -> tuple[list[int], torch.Tensor]:
        given: dict[str, Any] = {}
        if points:
            given["input_points"] = [[[list(map(float, p)) for p in points]]]
            given["input_labels"] = [[[int(v) for v in labels or []]]]
        if box is not None:
            given["input_boxes"] = [[[float(v) for v in box]]]
        self.processor.add_inputs_to_inference_session(
            state.session, frame_idx=frame, obj_ids=obj_id, clear_old_inputs=clear_old, **given
        )
        return self._answer(state, frame, obj_id)

    def add_mask(
        self, state: EdgeTamState, frame: int, obj_id: int, mask: np.ndarray
    ) -> tuple[list[int], torch.Tensor]:
        self.processor.add_inputs_to_inference_session(
            state.session, frame_idx=frame, obj_ids=obj_id, input_masks=np.asarray(mask, bool)
        )
        return self._answer(state, frame, obj_id)

    def _answer(self, state: EdgeTamState, frame: int, obj_id: int) -> tuple[list[int], Any]:
        """The prompted object's step on ``frame``, as ``forward`` runs it for an
        object with new inputs, kept as a conditioning output; every object's
        logits on the frame."""
        s = state.session
        idx = s.obj_id_to_idx(obj_id)
        tracked = s.frames_tracked_per_obj[idx]
        first = frame not in tracked
        if not first:  # this step reads the other prompted frames' memories
            self._encode_pending(state, skip=frame)
        points = s.point_inputs_per_obj[idx].get(frame)
        out = self.net._run_single_frame_inference(
            inference_session=s,
            obj_idx=idx,
            frame_idx=frame,
            batch_size=1,
            is_init_cond_frame=first,
            point_inputs=points,
            mask_inputs=s.mask_inputs_per_obj[idx].get(frame),
            reverse=False if first else bool(tracked[frame].get("reverse", False)),
            # A click's memory waits until something reads it (see _encode_pending):
            # the next click on the frame replaces it unread.
            run_mem_encoder=points is None,
        )
        s.output_dict_per_obj[idx]["non_cond_frame_outputs"].pop(frame, None)
        s.store_output(idx, frame, output_value=out, is_conditioning_frame=True)
        if obj_id in s.obj_with_new_inputs:
            s.obj_with_new_inputs.remove(obj_id)
        return self.object_ids(state), self.frame_masks(state, frame)

    def _encode_pending(self, state: EdgeTamState, skip: int | None = None) -> None:
        """Encode the memory of the clicked frames that have none yet, as the click's
        own step would have: transformers' step makes its high-resolution mask by
        upsampling the low-resolution one it keeps (bilinear, to the input size), so
        the memory is the same, computed later (``skip``: a frame being prompted)."""
        s, size = state.session, int(self.net.config.image_size)
        for idx, outputs in s.output_dict_per_obj.items():
            for frame, out in outputs["cond_frame_outputs"].items():
                if out.get("maskmem_features") is not None or frame == skip:
                    continue
                feats, _ = self.net._prepare_vision_features(s, frame, 1)
                low = out["pred_masks"]
                high = F.interpolate(
                    low.float(), size=(size, size), mode="bilinear", align_corners=False
                ).to(low.dtype)
                memory, position = self.net._encode_new_memory(
                    current_vision_feats=feats[-1],
                    pred_masks_high_res=high,
                    object_score_logits=out["object_score_logits"],
                    is_mask_from_pts=True,
                )
                s.store_output(idx, frame, "maskmem_features", memory, True)
                s.store_output(idx, frame, "maskmem_pos_enc", position, True)

    # -- propagation ------------------------------------------------------------------
    def propagate(
        self, state: EdgeTamState, start: int, count: int, reverse: bool
    ) -> Iterator[tuple[int, list[int], torch.Tensor]]:
        s = state.session
        self._encode_pending(state)
        for out in self.net.propagate_in_video_iterator(
            s, start_frame_idx=start, max_frame_num_to_track=count, reverse=reverse
        ):
            yield int(out.frame_idx), list(out.object_ids), self._video_size(s, out.pred_masks)

    def quiet(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()  # transformers shows no bar unless asked

    # -- what it holds ------------------------------------------------------------------
    @staticmethod
    def object_ids(state: EdgeTamState) -> list[int]:
        return state.object_ids

    @staticmethod
    def _output(state: EdgeTamState, obj_id: int, frame: int) -> dict[str, Any] | None:
        s = state.session
        idx = s._obj_id_to_idx.get(obj_id)
        if idx is None:
            return None
        outputs = s.output_dict_per_obj[idx]
        found = outputs["cond_frame_outputs"].get(frame)
        return found if found is not None else outputs["non_cond_frame_outputs"].get(frame)

    @staticmethod
    def _video_size(session: Any, low_res: torch.Tensor) -> torch.Tensor:
        size = (int(session.video_height), int(session.video_width))
        return F.interpolate(low_res.float(), size=size, mode="bilinear", align_corners=False)

    def frame_masks(self, state: EdgeTamState, frame: int) -> torch.Tensor:
        s = state.session
        masks = []
        for obj_id in state.object_ids:
            out = self._output(state, obj_id, frame)
            side = int(self.net.config.image_size) // 4  # the model's low-resolution masks
            low = torch.full((1, 1, side, side), NO_OBJECT) if out is None else out["pred_masks"]
            masks.append(self._video_size(s, low))
        if not masks:
            return torch.zeros((0, 1, int(s.video_height), int(s.video_width)))
        return torch.cat(masks, dim=0)

    def has_output(self, state: EdgeTamState, obj_id: int, frame: int) -> bool:
        return self._output(state, obj_id, frame) is not None

    def object_score(self, state: EdgeTamState, obj_id: int, frame: int) -> float:
        out = self._output(state, obj_id, frame)
        if out is None:
            return float("nan")
        return float(out["object_score_logits"].reshape(-1)[0])

    def base(self, state: EdgeTamState, frame: int, obj_id: int) -> tuple[Any, Any]:
        s = state.session
        idx = s._obj_id_to_idx.get(obj_id)
        if idx is None:
            return None, None
        output = s.output_dict_per_obj[idx]["non_cond_frame_outputs"].get(frame)
        tracked = s.frames_tracked_per_obj[idx].get(frame)
        return output, None if tracked is None else dict(tracked)

    # -- removing -----------------------------------------------------------------------
    def restart_frame(
        self, state: EdgeTamState, frame: int, obj_id: int, output: Any, tracked: Any
    ) -> None:
        s = state.session
        idx = s._obj_id_to_idx.get(obj_id)
        if idx is None:
            return
        s.remove_point_inputs(idx, frame)
        s.remove_mask_inputs(idx, frame)
        outputs = s.output_dict_per_obj[idx]
        outputs["cond_frame_outputs"].pop(frame, None)
        outputs["non_cond_frame_outputs"].pop(frame, None)
        marks = s.frames_tracked_per_obj[idx]
        marks.pop(frame, None)
        if output is not None:
            outputs["non_cond_frame_outputs"][frame] = output
        if tracked is not None:
            marks[frame] = dict(tracked)

    def remove_object(self, state: EdgeTamState, obj_id: int) -> None:
        """transformers' session indexes objects by position: the others move up."""
        s = state.session
        if obj_id not in s._obj_id_to_idx:
            return
        keep = [o for o in s.obj_ids if o != obj_id]
        old = {o: s._obj_id_to_idx[o] for o in keep}
        for name in ("point_inputs_per_obj", "mask_inputs_per_obj"):
            table = getattr(s, name)
            setattr(s, name, {i: table[old[o]] for i, o in enumerate(keep)})
        for name in ("output_dict_per_obj", "frames_tracked_per_obj"):
            table = getattr(s, name)
            setattr(s, name, {i: table[old[o]] for i, o in enumerate(keep)})
        s._obj_id_to_idx = OrderedDict((o, i) for i, o in enumerate(keep))
        s._obj_idx_to_id = OrderedDict((i, o) for i, o in enumerate(keep))
        s.obj_ids = keep
        s.obj_with_new_inputs = [o for o in s.obj_with_new_inputs if o != obj_id]

    # -- memory -------------------------------------------------------------------------
    def memory_reach(self, num_frames: int | None = None) -> int:
        """Mask memories of the last ``num_maskmem - 1`` frames, object pointers of
        up to ``max_object_pointers_in_encoder - 1`` (as in sam2, whose memory
        selection transformers keeps)."""
        config = self.net.config
        masks = 1 + max(0, int(config.num_maskmem) - 2)
        most = int(config.max_object_pointers_in_encoder)
        pointers = (most if num_frames is None else min(num_frames, most)) - 1
        return max(masks, pointers)

    def release(self, state: EdgeTamState, current: int, window: int) -> int:
        return release_outputs(state.session.output_dict_per_obj.values(), current, window)
