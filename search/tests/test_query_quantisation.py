"""The query encoders' int8 weights fit the CPU: 7 bits where int8 products saturate (x86 without VNNI)."""

import pytest

from search.ml import query_encoders

AVX2 = "flags\t\t: fpu sse2 avx avx2 fma\n"
VNNI = "flags\t\t: fpu sse2 avx avx2 fma avx512f avx512_vnni\n"


@pytest.mark.parametrize(
    ("flags", "machine", "seven_bits"),
    [
        (AVX2, "x86_64", True),
        (VNNI, "x86_64", False),
        ("flags: avx2 avx_vnni\n", "x86_64", False),
        (AVX2, "aarch64", False),
    ],
)
def test_weights_are_cut_to_7_bits_only_where_int8_products_saturate(tmp_path, flags, machine, seven_bits):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(flags)
    assert query_encoders._saturating_cpu(cpuinfo, machine) is seven_bits


def test_an_unreadable_cpuinfo_on_x86_takes_7_bits(tmp_path):
    assert query_encoders._saturating_cpu(tmp_path / "missing", "x86_64") is True


def test_an_export_made_for_another_kind_of_cpu_is_not_reused(tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text("{}")
    monkeypatch.setattr(query_encoders, "_saturating_cpu", lambda: False)
    vnni = query_encoders._digest(tmp_path)
    monkeypatch.setattr(query_encoders, "_saturating_cpu", lambda: True)
    assert query_encoders._digest(tmp_path) != vnni
