"""What a vosk model directory holds, checked without loading it.

A Kaldi model for vosk has an acoustic model (am/final.mdl), feature settings
(conf/mfcc.conf, conf/model.conf) and a decoding graph: either a static HCLG.fst (big
server models such as vosk-model-fa-0.42) or a lookahead pair HCLr.fst + Gr.fst (small
models such as vosk-model-small-fa-0.42, which also accept a runtime grammar).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ModelError", "ModelInfo", "check_model"]

_RATE = re.compile(r"^--sample-frequency=(\d+)", re.MULTILINE)
DEFAULT_RATE = 16000  # Kaldi's default when mfcc.conf does not say


class ModelError(ValueError):
    """The directory is not a vosk model we can use; the message says what is missing."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    path: Path
    graph: str  # "static (HCLG.fst)" or "lookahead (HCLr.fst + Gr.fst)"
    sample_rate: int
    size_bytes: int
    ivector: bool
    rescoring: bool  # an RNNLM / const-arpa rescorer (big models)
    description: str  # the first line of the model's README, when it has one

    @property
    def name(self) -> str:
        return self.path.name


def check_model(directory: Path) -> ModelInfo:
    """Describe the model in `directory` or raise `ModelError` saying what is wrong."""
    if not directory.is_dir():
        raise ModelError(f"{directory}: not a directory")
    missing = [p for p in ("am/final.mdl", "conf/mfcc.conf") if not (directory / p).is_file()]
    if missing:
        raise ModelError(f"{directory}: missing {', '.join(missing)}; not a vosk model")
    graph_dir = directory / "graph"
    if (graph_dir / "HCLG.fst").is_file():
        graph = "static (HCLG.fst)"
    elif (graph_dir / "HCLr.fst").is_file() and (graph_dir / "Gr.fst").is_file():
        graph = "lookahead (HCLr.fst + Gr.fst)"
    else:
        raise ModelError(f"{directory}: no decoding graph (graph/HCLG.fst or HCLr.fst + Gr.fst)")
    mfcc = (directory / "conf/mfcc.conf").read_text(encoding="utf-8", errors="replace")
    found = _RATE.search(mfcc)
    readme = directory / "README"
    description = ""
    if readme.is_file():
        lines = readme.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        description = lines[0].strip() if lines else ""
    size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    return ModelInfo(
        path=directory,
        graph=graph,
        sample_rate=int(found.group(1)) if found else DEFAULT_RATE,
        size_bytes=size,
        ivector=(directory / "ivector/final.ie").is_file(),
        rescoring=(directory / "rescore").is_dir() or (directory / "rnnlm").is_dir(),
        description=description,
    )
