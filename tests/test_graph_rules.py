"""The candidate rule set of symbiosis.graph: the candidate list, the park graph and
why_not agree, and the graph readers (components, neighbours, downstream, material
paths) answer from the graph. Small cases only (tutorial, variants, a 40-plant region)."""
from __future__ import annotations

import copy

import pytest

from symbiosis.generate import region
from symbiosis.graph import (build_graph, candidate_exchanges, components, downstream, material_paths,
                             neighbours, plant_distance, why_not)
from symbiosis.io import case_from_dict


def _variants(tutorial_dict):
    """The tutorial and variants that exercise every rule: a forbidden plant, a forbidden
    named exchange, a short reach, no generated candidates."""
    out = {"tutorial": copy.deepcopy(tutorial_dict)}
    d = copy.deepcopy(tutorial_dict)
    d["plants"]["carbide"]["forbid"] = True
    d["exchanges"] = [x for x in d["exchanges"] if "carbide" not in (x["from"], x["to"])]
    out["forbidden plant"] = d
    d = copy.deepcopy(tutorial_dict)
    d["exchanges"][3]["forbid"] = True
    out["forbidden exchange"] = d
    d = copy.deepcopy(tutorial_dict)
    d["settings"]["max_distance"] = "2 km"
    out["short reach"] = d
    d = copy.deepcopy(tutorial_dict)
    d["settings"]["generate_candidates"] = False
    out["named only"] = d
    out["region"] = region(40, seed=3)
    return out


@pytest.fixture(scope="module")
def cases(tutorial_dict):
    return {name: case_from_dict(d, file=f"<{name}>") for name, d in _variants(tutorial_dict).items()}


def test_why_not_is_none_exactly_for_the_candidates_the_model_may_open(cases):
    for name, case in cases.items():
        xs = candidate_exchanges(case)
        openable = {x.key for x in xs if not x.forbid}
        seen = 0
        for i in case.plants:
            for j in case.plants:
                for m in case.materials:
                    reason = why_not(case, i, j, m)
                    assert (reason is None) == ((i, j, m) in openable), (name, i, j, m, reason)
                    seen += 1
        assert seen > 0 and openable, name
        for x in xs:
            if x.forbid:
                assert "forbid" in why_not(case, *x.key), (name, x.key)


def test_why_not_names_the_rule(cases):
    t = cases["tutorial"]
    assert why_not(t, "pvc", "slag_cement", "carbide_slag") is None
    assert why_not(t, "nowhere", "pvc", "electricity") == "no plant 'nowhere' in the case"
    assert why_not(t, "power", "pvc", "moonrock") == "no material 'moonrock' in the case"
    assert why_not(t, "slag_cement", "pvc", "carbide_slag").startswith("slag_cement does not make carbide_slag")
    assert why_not(t, "power", "carbide", "fly_ash").startswith("carbide does not take fly_ash")
    assert why_not(t, "power", "power", "electricity") == "a plant does not exchange with itself"
    assert why_not(cases["forbidden plant"], "power", "carbide", "electricity") == \
        "plant carbide is forbidden in the case (forbid: true)"
    assert "forbid: true" in why_not(cases["forbidden exchange"], "power", "slag_cement", "fly_ash")
    assert "generate_candidates is off" in why_not(cases["named only"], "power", "pvc", "electricity")
    short = cases["short reach"]
    d = plant_distance(short, "power", "pvc")
    assert d > 2
    assert why_not(short, "power", "pvc", "electricity") == \
        f"distance: {d:,.1f} km is beyond the 2 km electricity may travel (settings.max_distance)"


def test_the_candidate_list_is_the_graphs_exchange_edges(cases):
    for name, case in cases.items():
        g = build_graph(case)
        xs = candidate_exchanges(case)
        assert candidate_exchanges(case, g) == xs, name
        assert case.graph().number_of_edges() == g.number_of_edges(), name
        for x in xs:
            d = g.get_edge_data(x.source, x.target, key=x.material)
            assert d["exchange"] == x and d["distance"] == x.distance and d["kind"] == "exchange", (name, x.key)


def test_graph_readers_on_the_tutorial(tutorial):
    g = tutorial.graph()
    assert components(g) == [{"power", "carbide", "pvc", "slag_cement"}]
    pvc = neighbours(g, "pvc")
    assert pvc.suppliers == {"carbide": ["calcium_carbide"], "power": ["electricity"]}
    assert pvc.takers == {"slag_cement": ["carbide_slag"]}
    assert neighbours(g, "slag_cement").takers == {}
    assert downstream(g, "pvc") == {"slag_cement"}
    assert downstream(g, "power") == {"carbide", "pvc", "slag_cement"}
    assert downstream(g, "slag_cement") == set()
    assert material_paths(g, "fly_ash") == [["power", "slag_cement"]]
    assert material_paths(g, "electricity") == [["power", "carbide"], ["power", "pvc"], ["power", "slag_cement"]]
    assert material_paths(g, "electricity", source="carbide") == []
    with pytest.raises(KeyError, match="no plant"):
        neighbours(g, "nowhere")


def test_components_split_when_a_plant_is_forbidden(cases):
    # carbide forbidden: it links to nothing, and the rest stays one group
    g = cases["forbidden plant"].graph()
    assert components(g) == [{"power", "pvc", "slag_cement"}, {"carbide"}]


def test_graph_readers_agree_with_the_candidate_list_on_a_region(cases):
    case = cases["region"]
    g = case.graph()
    xs = candidate_exchanges(case)
    groups = components(g)
    assert sorted(p for c in groups for p in c) == sorted(case.plants)  # every plant in one group
    where = {p: k for k, c in enumerate(groups) for p in c}
    assert all(where[x.source] == where[x.target] for x in xs)
    for p in list(case.plants)[:10]:
        nb = neighbours(g, p)
        assert {(s, m) for s, ms in nb.suppliers.items() for m in ms} == {(x.source, x.material) for x in xs
                                                                         if x.target == p}
        assert {(t, m) for t, ms in nb.takers.items() for m in ms} == {(x.target, x.material) for x in xs
                                                                      if x.source == p}
        assert set(nb.takers) <= downstream(g, p)
    m = next(x.material for x in xs)
    for path in material_paths(g, m):
        assert all((a, b, m) in {x.key for x in xs} for a, b in zip(path, path[1:]))
