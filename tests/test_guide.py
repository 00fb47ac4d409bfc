"""Issue 13: a long command shows something at once on a terminal; Sankey labels that do not collide."""
from __future__ import annotations

import io

from rich.console import Console

from symbiosis import terminal


def _consoles(monkeypatch, is_terminal=True):
    err, out = io.StringIO(), io.StringIO()
    monkeypatch.setattr(terminal, "err_console", Console(file=err, force_terminal=is_terminal, width=80))
    monkeypatch.setattr(terminal, "console", Console(file=out, force_terminal=is_terminal, width=80))
    monkeypatch.setitem(terminal._state, "quiet", False)
    return err, out


def test_a_long_command_says_it_is_loading_at_once(monkeypatch):
    err, out = _consoles(monkeypatch)
    terminal.starting("solve", ["symbiosis", "solve", "--time-limit", "5", "cases/x.yaml"])
    assert "solve: loading" in err.getvalue()  # drawn before any tick of the spinner
    assert terminal._starting["status"] is not None
    terminal.console.print("a table")  # the first output on stdout ends the spinner
    assert terminal._starting["status"] is None
    assert "a table" in out.getvalue()
    terminal.stop_starting()  # idempotent
    assert terminal._starting["hook"] not in terminal.console._render_hooks


def test_the_spinner_gives_way_to_a_progress_bar(monkeypatch):
    _consoles(monkeypatch)
    terminal.starting("pareto", ["symbiosis", "pareto", "cases/x.yaml"])
    with terminal.progress("points", 3) as cb:  # two live displays on one console would raise
        cb(1, 3, "")
        assert terminal._starting["status"] is None


def test_no_spinner_for_quick_commands_pipes_or_quiet(monkeypatch):
    err, _ = _consoles(monkeypatch)
    terminal.starting("validate", ["symbiosis", "validate", "x.yaml"])
    assert err.getvalue() == "" and terminal._starting["status"] is None
    monkeypatch.setitem(terminal._state, "quiet", True)
    terminal.starting("solve", ["symbiosis", "solve", "x.yaml"])
    assert err.getvalue() == ""
    err, _ = _consoles(monkeypatch, is_terminal=False)
    terminal.starting("solve", ["symbiosis", "solve", "x.yaml"])
    assert err.getvalue() == "" and terminal._starting["status"] is None


def test_sankey_middle_column_labels_take_two_lines():
    from symbiosis.views.sankey import _two_lines
    data = {"labels": ["mine", "power", "cement"], "texts": ["mine 3.0 Mt/yr", "power 2.2 Mt/yr", "cement 1.1 Mt/yr"],
            "source": [0, 1], "target": [1, 2]}
    assert _two_lines(data) == ["mine 3.0 Mt/yr", "power<br>2.2 Mt/yr", "cement 1.1 Mt/yr"]
