"""The closing chapter's table reads results files and never invents a row."""

import torch

from gsutils import results
from gsutils.summary import headline_rows


def write(tmp_path, experiment, profile, metrics):
    results.save(tmp_path / f"{experiment}-{profile}.json", experiment, profile, {}, metrics,
                 results.provenance(torch.device("cpu"), 1.0))


def test_rows_come_only_from_existing_files_and_prefer_the_paper_profile(tmp_path):
    assert headline_rows(tmp_path) == []
    stats = {"test_acc_mean": 23.0, "test_acc_std": 0.5}
    write(tmp_path, "colored_mnist", "quick", {"methods": {"ERM": stats}})
    assert headline_rows(tmp_path)[0]["run"].startswith("quick profile, cpu")
    write(tmp_path, "colored_mnist", "paper", {"methods": {"ERM": {**stats, "test_acc_mean": 24.25}}})
    (row,) = headline_rows(tmp_path)
    assert row["ours"] == "24.2 ± 0.5" and row["paper"] == "23.7 ± 0.8"
    assert row["run"].startswith("paper profile")


def test_stand_in_data_is_labelled(tmp_path):
    write(tmp_path, "celeba", "quick", {"data": "standin", "methods": {
        "SD": {"worst_acc_mean": 70.0, "worst_acc_std": 2.0}}})
    (row,) = headline_rows(tmp_path)
    assert "(stand-in data)" in row["quantity"] and row["paper"] == "83.2 ± 2.0 (CelebA)"


def test_theory_rows_show_the_sd_spread(tmp_path):
    points = [{"regularizer": "weight_decay", "s1": s, "s2": 2.0, "z1": 0.0, "z2": z}
              for s, z in ((2.0, 1.64), (8.0, 0.915))]
    points += [{"regularizer": "sd", "s1": s, "s2": 2.0, "z1": 6.37, "z2": 1.7076} for s in (2.0, 8.0)]
    write(tmp_path, "theory", "paper", {"fixed_points": points})
    rows = headline_rows(tmp_path)
    assert [r["ours"] for r in rows] == ["1.640", "0.915", "1.708 (identical for every s1)"]
    assert {r["experiment"] for r in rows} == {"two-feature theory"}


def test_landing_numbers_word_the_accuracies_or_say_they_are_missing():
    from gsutils.summary import landing_numbers

    rows = [{"experiment": "Colored MNIST", "quantity": q, "ours": v, "run": "quick profile, CPU"}
            for q, v in (("ERM test accuracy (%)", "23.1 ± 0.6"), ("SD test accuracy (%)", "67.3 ± 1.4"))]
    assert landing_numbers(rows) == {"erm": "23.1 ± 0.6%", "sd": "67.3 ± 1.4%", "run": "quick profile, CPU"}
    missing = landing_numbers([])  # e.g. Colab offline: no results file could be read
    assert all("not available" in v for v in missing.values())
