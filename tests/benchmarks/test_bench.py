"""The throughput benchmark (scripts/bench_throughput.py) runs on the CPU with the tiny preset,
and its baseline is compmo-train's default step."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def one_thread():
    """Tiny matrices: one thread is several times faster than many on a shared CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_default_checkpointing_is_the_shipped_configs() -> None:
    import yaml

    from benchmarks.harness import DEFAULT_CHECKPOINTING

    for stage, ckpt in DEFAULT_CHECKPOINTING.items():
        cfg = yaml.safe_load((ROOT / f"modeling/configs/train_{stage}.yaml").read_text())
        assert cfg.get("gradient_checkpointing", False) is ckpt, stage


def test_bench_tiny_preset_on_cpu(tmp_path: Path, one_thread) -> None:
    from benchmarks.run import main

    args = ["--preset", "tiny", "--device", "cpu", "--out", str(tmp_path), "--tag", "cpu"]
    args += ["--steps", "1", "--warmup", "1", "--check-steps", "3", "--plain-batch", "2"]
    args += ["--stage1-batch", "3", "--dropouts", "0.0", "--check-variants", "none@same"]
    args += ["--stage2-variants", "none@same,none@256", "--stage1-variants", "none@128"]
    args += ["--sections", "attn,maths,stage2,stage1,infer"]
    assert main(args) == 0
    res = json.loads((tmp_path / "throughput_cpu.json").read_text())
    sec = res["sections"]
    assert not [k for k, v in sec.items() if "error" in v]
    assert sec["attention_check"]["ok"]
    maths = sec["same_maths"]
    assert maths["ok"] and maths["max_rel_diff"] < 1e-4 and len(maths["plain"]) == 3
    for rows in (sec["stage2"]["dropout_0.0"]["rows"], sec["stage1"]["rows"]):
        assert rows[0]["name"].startswith("default step (padded)")
        assert all(r["tokens_per_s"] > 0 and r["steps"] == 1 for r in rows)
    assert sec["stage2"]["dropout_0.0"]["rows"][2]["tokens_per_step"] <= 256
    assert [r["batch"] for r in sec["inference"]["rows"]] == [1, 4]
    md = (tmp_path / "throughput_cpu.md").read_text()
    assert "## Same maths" in md and "## Stage 1" in md and "default step" in md


def test_bench_default_mode_is_compmo_trains(tmp_path: Path) -> None:
    """The baseline's settings come from compmo-train's own functions."""
    from benchmarks.harness import Bench
    from benchmarks.run import parser
    from modeling.fast_step import causal_lm

    bench = Bench(parser().parse_args(["--preset", "tiny", "--device", "cpu"]))
    bench.build()
    lm = causal_lm(bench.model)
    bench.default_mode("stage2")
    assert lm.config._attn_implementation == "sdpa" and lm.is_gradient_checkpointing
    bench.default_mode("stage1")
    assert not lm.is_gradient_checkpointing


def test_bench_script_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "scripts.bench_throughput", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--preset" in out and "--plain-checkpointing" in out


def test_kernel_kinds_from_names() -> None:
    from benchmarks.profiling import kind_of

    assert kind_of("sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x256x64") == "matmul"
    assert kind_of("nvjet_tst_256x128_64x4_2x1_v_bz_coopA_NTT") == "matmul"
    assert kind_of("void pytorch_flash::flash_fwd_kernel<Flash_fwd_kernel_traits>") == "attention"
    # seen on the H100: a flash backward kernel whose full name also holds cutlass's
    assert kind_of(
        "void pytorch_flash::flash_bwd_dq_dk_dv_loop_seqk_parallel_kernel<cutlass::bf>"
    ) == ("attention")
    assert kind_of("triton_poi_fused_add_mul_silu_3") == "compiled fused (triton)"
    assert kind_of("void at::native::(anonymous)::multi_tensor_apply_kernel<adam>") == "optimizer"
    assert kind_of("Memcpy HtoD (Pageable -> Device)") == "copy/fill"
    assert kind_of("void at::native::vectorized_elementwise_kernel<4, mul>") == (
        "other element-wise / reductions"
    )


def test_profile_section_on_cpu(tmp_path: Path, one_thread) -> None:
    """The profile section runs a fused and a PEFT-forward variant; rank-r products are listed."""
    from benchmarks.run import main

    addmm = {}
    for variant in ("none@256+f", "none@256"):
        args = ["--preset", "tiny", "--device", "cpu", "--out", str(tmp_path), "--tag", "p"]
        args += ["--sections", "profile", "--profile-variant", variant, "--profile-steps", "2"]
        assert main([*args, "--profile-warmup", "1"]) == 0
        res = json.loads((tmp_path / "throughput_p.json").read_text())["sections"]["profile"]
        assert res["variant"] == variant and res["steps"] == 2 and res["tokens"] > 0
        shapes = " ".join(m["shapes"] for m in res["matmuls_by_shape"])
        assert ", 8]" in shapes or "[8, " in shapes  # LoRA's rank-8 products of the tiny preset
        addmm[variant] = sum(
            m["calls_per_step"] for m in res["matmuls_by_shape"] if m["op"] == "aten::addmm"
        )
    assert addmm["none@256+f"] > addmm["none@256"]  # the fused forward's addmm per LoRA linear
    assert "## Profile: none@256" in (tmp_path / "throughput_p.md").read_text()


def test_profile_summary_leaves_out_compiled_graph_spans() -> None:
    """On the H100 the "## Call CompiledFxGraph ##" spans were counted as kernels on top of the
    kernels they wrap, and the shares of the wall time were 1,000 times too large."""
    from types import SimpleNamespace

    from torch.autograd import DeviceType

    from benchmarks.profiling import summarise_profile

    def evt(key: str, us: float) -> SimpleNamespace:
        return SimpleNamespace(
            key=key, device_type=DeviceType.CUDA, count=2, self_device_time_total=us,
            device_time_total=us, input_shapes=[],
        )  # fmt: skip

    events = [
        evt("## Call CompiledFxGraph abc ##", 900_000.0),
        evt("sm90_xmma_gemm_bf16", 300_000.0),
    ]
    prof = SimpleNamespace(key_averages=lambda group_by_input_shape=False: events)
    res = summarise_profile(prof, wall_s=0.5, steps=1, tokens=1000)
    assert res["gpu_busy_ms_per_step"] == 300.0 and res["gpu_idle_pct"] == 40.0
    assert list(res["kinds"]) == ["matmul"] and res["kinds"]["matmul"]["pct_of_wall"] == 60.0
