"""Frame preparation: analysis size, cached polygon masks, privacy masks burned in."""

from __future__ import annotations

import numpy as np
import pytest

from vigie.analytics import burn_masks
from vigie.analytics.frames import as_gray, downscale, polygon_mask

SQUARE = ((0.25, 0.25), (0.5, 0.25), (0.5, 0.5), (0.25, 0.5))


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((360, 640), (180, 320)),
        ((720, 1280), (180, 320)),
        ((1080, 1920), (180, 320)),
        ((576, 704), (288, 352)),
        ((180, 320), (180, 320)),
        ((5, 7), (5, 7)),
    ],
)
def test_downscale_keeps_the_aspect_with_an_integer_factor(
    shape: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert downscale(np.zeros(shape, np.uint8)).shape == expected


def test_downscale_averages_and_accepts_a_padded_view() -> None:
    padded = np.zeros((360, 704), np.uint8)  # a decoder's line size wider than the picture
    padded[:, :640] = 200
    view = padded[:, :640]
    small = downscale(as_gray(view))
    assert small.shape == (180, 320)
    assert int(small.min()) == 200


def test_as_gray_rejects_colour_and_wrong_types() -> None:
    with pytest.raises(ValueError, match="2-D uint8"):
        as_gray(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="2-D uint8"):
        as_gray(np.zeros((10, 10), np.float32))
    strided = np.zeros((10, 20), np.uint8)[:, ::2]
    assert as_gray(strided).flags.c_contiguous


def test_polygon_mask_is_rasterised_once_and_read_only() -> None:
    first = polygon_mask((100, 100), (SQUARE,))
    assert polygon_mask((100, 100), (SQUARE,)) is first
    assert not first.flags.writeable
    assert first[30, 30] == 255 and first[10, 10] == 0 and first[60, 60] == 0


def test_burn_masks_fills_the_polygon_and_nothing_else_in_grey() -> None:
    image = np.full((100, 100), 180, np.uint8)
    burned = burn_masks(image, [SQUARE])
    assert int(image.min()) == 180  # the original is untouched
    assert (burned[26:50, 26:50] == 0).all()
    outside = np.ones_like(burned, bool)
    outside[24:52, 24:52] = False
    assert (burned[outside] == 180).all()
    assert 600 <= int((burned == 0).sum()) <= 700  # about a quarter of a quarter


def test_burn_masks_in_colour_and_with_no_polygon() -> None:
    image = np.full((90, 160, 3), (10, 200, 30), np.uint8)
    burned = burn_masks(image, [SQUARE, ((0.9, 0.9), (1.0, 0.9), (1.0, 1.0))])
    assert (burned[30, 50] == 0).all()
    assert tuple(burned[5, 5]) == (10, 200, 30)
    assert (burn_masks(image, []) == image).all()
