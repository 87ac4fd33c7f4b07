"""Treatment agents and routes a study may record (the ``treatments`` table).

The agents are those of the table "Common Hormonal Optimization Agents and Their Actions" in the
second seed document, plus intranasal oxytocin and placebo for oxytocin trials. Doses of
intranasal oxytocin stay in international units (IU) as reported: IU-to-mass factors disagree
(see METHODS.md). The vocabulary is data: one place, read-only.

>>> AGENTS["intranasal_oxytocin"].default_route
'intranasal'
>>> "IM" in ROUTES
True
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from ..errors import ContractError

__all__ = ["AGENTS", "ROUTES", "Agent", "get_agent"]

#: Administration routes: intramuscular, subcutaneous, oral, intranasal, pellet, transdermal.
ROUTES = ("IM", "SC", "oral", "intranasal", "pellet", "transdermal")


@dataclass(frozen=True)
class Agent:
    """One treatment agent: its name, what it does, its usual route and dose unit."""

    name: str
    label: str
    action: str
    default_route: str
    dose_units: tuple[str, ...]
    aliases: tuple[str, ...] = ()


_AGENTS = [
    Agent("testosterone_cypionate", "Testosterone cypionate",
          "replaces or augments testosterone", "IM", ("mg",), ("testosterone cypionate", "tc")),
    Agent("testosterone_pellets", "Testosterone pellets",
          "testosterone replacement by subcutaneous pellet", "pellet", ("mg",)),
    Agent("gonadorelin", "Gonadorelin", "stimulates LH/FSH release from the pituitary", "SC",
          ("ug", "mcg")),
    Agent("anastrozole", "Anastrozole", "aromatase inhibitor: reduces conversion to estradiol",
          "oral", ("mg",)),
    Agent("enclomiphene", "Enclomiphene", "selective estrogen receptor modulator: raises LH/FSH",
          "oral", ("mg",)),
    Agent("progesterone", "Progesterone", "hormone replacement; calming (anxiolytic) effects",
          "oral", ("mg",)),
    Agent("sermorelin", "Sermorelin", "growth hormone secretagogue", "SC", ("ug", "mcg", "mg")),
    Agent("ipamorelin_cjc1295", "Ipamorelin / CJC-1295", "growth hormone secretagogues", "SC",
          ("ug", "mcg", "mg"), ("ipamorelin", "cjc-1295", "ipamorelin/cjc-1295")),
    Agent("tesamorelin", "Tesamorelin", "growth hormone-releasing hormone analogue", "SC",
          ("mg",)),
    Agent("hexarelin", "Hexarelin", "growth hormone secretagogue", "SC", ("ug", "mcg")),
    Agent("mk677", "MK-677 (ibutamoren)", "oral growth hormone secretagogue", "oral", ("mg",),
          ("mk-677", "ibutamoren")),
    Agent("pt141", "PT-141 (bremelanotide)", "melanocortin receptor agonist (sexual function)",
          "SC", ("mg",), ("pt-141", "bremelanotide")),
    Agent("pentadeca_arginate", "Pentadeca arginate", "peptide for tissue repair", "SC",
          ("mg",), ("pda",)),
    Agent("intranasal_oxytocin", "Intranasal oxytocin", "oxytocin receptor agonist",
          "intranasal", ("IU",), ("oxytocin", "ot", "in-ot")),
    Agent("placebo", "Placebo", "inactive comparator", "intranasal", ("IU", "mg", "mL"), ()),
]

AGENTS = MappingProxyType({a.name: a for a in _AGENTS})


def get_agent(name: str) -> Agent:
    """Look up an agent by name or alias (case-insensitive).

    >>> get_agent("MK-677").name
    'mk677'
    """
    key = str(name).strip().lower()
    for agent in _AGENTS:
        if key == agent.name or key in agent.aliases or key == agent.label.lower():
            return agent
    raise ContractError(
        f"unknown treatment agent {name!r}; allowed: {', '.join(AGENTS)}"
    )
