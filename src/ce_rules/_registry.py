"""The registry: policies by region and year, bundled or from folders of your own.

A region (``shandong``, ``cn-national``, a province of your own) is whatever the
``region`` field of its policies says; each of its years is governed by exactly one
policy. ce-rules has no default region in the registry: a caller names the region (or
gives a policy), and a region or year that nothing governs is a ``PolicyNotFoundError``
naming what is registered, never another year's or another region's rules (decision 8).

A new province's year is one TOML file in a folder, and no Python::

    registry = ce.load_registry("my-policies")      # the bundled policies and the folder's
    policy = registry.policy("fictional", 2025)
    verdict = ce.evaluate(person, entries, year=2025, policy=policy)

Every ``*.toml`` file of a folder is read as a policy (``load_policy``) when the registry
is built: a broken file is a ``PolicyFileError`` naming it, at load time. So are a file
that takes the id of another policy with other content, a policy for a region and year
another policy already governs, and a local overlay whose base is not registered.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final, NamedTuple

from ._exceptions import PolicyFileError, PolicyNotFoundError
from ._policy import Policy, list_policies, load_policy

__all__ = ["POLICY_PATH_VARIABLE", "Region", "Registry", "load_registry", "regions"]

#: The environment variable the command line reads for folders of policies (separated as
#: ``PATH`` is: ``:`` on POSIX, ``;`` on Windows), added to the bundled ones.
POLICY_PATH_VARIABLE: Final = "CE_RULES_POLICY_PATH"
#: The most policy files one folder may give: a folder is a province's years, not a dump.
MAX_FOLDER_POLICIES: Final = 1000


class Region(NamedTuple):
    """One region of a registry and the policy that governs each of its years.

    Attributes:
        id: The region, as policies name it (``Policy.region``), e.g. ``shandong``.
        years: The years some policy of the region governs, ascending.
        policies: The id of the policy of each year, in the order of ``years``.
    """

    id: str
    years: tuple[int, ...]
    policies: tuple[str, ...]

    def describe(self) -> str:
        """The region and its years, for people: ``cn-national (2016–2026)``."""
        return f"{self.id} ({_spans(self.years)})"


def _spans(years: tuple[int, ...]) -> str:
    """Years as runs: ``2016–2026``, ``2020, 2022–2023``."""
    runs: list[list[int]] = []
    for year in years:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


class Registry:
    """Policies by id, and by region and year; immutable once built.

    ``Registry()`` holds the bundled policies; ``with_folder`` and ``with_policies``
    return a new registry with more. Local overlays (``extends``) are registered by id
    (to be merged onto their base), not as a region's policy.
    """

    __slots__ = ("_by_id", "_by_region_year", "_sources")

    def __init__(self, policies: Iterable[Policy] | None = None) -> None:
        """A registry of ``policies``; None: the bundled ones.

        Raises:
            PolicyFileError: Two policies share an id with other content, or govern one
                region and year, or an overlay's base is not among them.
        """
        self._by_id: dict[str, Policy] = {}
        self._by_region_year: dict[tuple[str, int], Policy] = {}
        self._sources: dict[str, str] = {}
        bundled = list_policies() if policies is None else policies
        for policy in bundled:
            self._add(policy, policy.id)
        self._check_overlays()

    def _add(self, policy: Policy, source: str) -> None:
        known = self._by_id.get(policy.id)
        if known is not None:
            if known.digest == policy.digest:
                return  # the same policy twice (a folder holding a bundled file's copy)
            raise PolicyFileError(
                source,
                "id",
                f"{policy.id!r} is already the id of another policy ({self._sources[policy.id]}) "
                "with other content: give this one its own id",
            )
        if policy.extends is None:
            for year in policy.years:
                other = self._by_region_year.get((policy.region, year))
                if other is not None:
                    raise PolicyFileError(
                        source,
                        "years",
                        f"{year} of region {policy.region!r} is already governed by "
                        f"{other.id} ({self._sources[other.id]}): one policy a region and year",
                    )
        self._by_id[policy.id] = policy
        self._sources[policy.id] = source
        if policy.extends is None:
            for year in policy.years:
                self._by_region_year[(policy.region, year)] = policy

    def _check_overlays(self) -> None:
        for policy in self._by_id.values():
            if policy.extends is not None and policy.extends not in self._by_id:
                raise PolicyFileError(
                    self._sources[policy.id],
                    "extends",
                    f"{policy.extends!r} is not a registered policy; registered: "
                    f"{', '.join(self.ids()) or 'none'}",
                )

    def _copy(self) -> Registry:
        copy = Registry(())
        copy._by_id = dict(self._by_id)
        copy._by_region_year = dict(self._by_region_year)
        copy._sources = dict(self._sources)
        return copy

    def with_policies(self, policies: Iterable[Policy], *, source: str | None = None) -> Registry:
        """A new registry with ``policies`` added (``source`` names them in errors).

        Raises:
            PolicyFileError: As ``Registry()``.
        """
        copy = self._copy()
        for policy in policies:
            copy._add(policy, source or policy.id)
        copy._check_overlays()
        return copy

    def with_folder(self, folder: str | Path) -> Registry:
        """A new registry with every ``*.toml`` policy of ``folder`` added (not its subfolders).

        Files are read in the order of their names. Each is a policy file as ``load_policy``
        reads it; a local overlay in it is registered by id, its base found in the registry.

        Raises:
            PolicyFileError: Naming the folder if it cannot be listed, or naming the file:
                a file that is not a valid policy, one whose id another policy has with
                other content (a bundled one included), one that governs a region and year
                another policy governs, an overlay whose base is not registered.
        """
        path = Path(folder)
        try:
            files = sorted(
                (p for p in path.iterdir() if p.suffix == ".toml" and not p.is_dir()),
                key=lambda p: p.name,
            )
        except OSError as error:
            raise PolicyFileError(
                str(path), "(folder)", error.strerror or "cannot be listed"
            ) from error
        if len(files) > MAX_FOLDER_POLICIES:
            raise PolicyFileError(
                str(path), "(folder)", f"more than {MAX_FOLDER_POLICIES} policy files"
            )
        copy = self._copy()
        for file in files:
            copy._add(load_policy(file), str(file))
        copy._check_overlays()
        return copy

    @property
    def policies(self) -> tuple[Policy, ...]:
        """Every registered policy (overlays included), ordered by region, years and id."""
        return tuple(sorted(self._by_id.values(), key=lambda p: (p.region, p.years, p.id)))

    def ids(self) -> tuple[str, ...]:
        """Every registered policy id, sorted."""
        return tuple(sorted(self._by_id))

    def source(self, policy_id: str) -> str:
        """Where the policy with this id came from: its file, or its id if built in code."""
        self.by_id(policy_id)
        return self._sources[policy_id]

    def regions(self) -> tuple[Region, ...]:
        """Every region some policy governs a year of, sorted by id."""
        years: dict[str, dict[int, str]] = {}
        for (region, year), policy in self._by_region_year.items():
            years.setdefault(region, {})[year] = policy.id
        return tuple(
            Region(region, tuple(sorted(found)), tuple(found[y] for y in sorted(found)))
            for region, found in sorted(years.items())
        )

    def region_policies(self, region: str) -> tuple[Policy, ...]:
        """The policies of ``region``, by years; ``PolicyNotFoundError`` if it has none."""
        found = [p for p in self.policies if p.region == region and p.extends is None]
        if not found:
            raise PolicyNotFoundError(region, None, self._regions_known(), region_only=True)
        return tuple(found)

    def policy(self, region: str, year: int) -> Policy:
        """The policy governing ``year`` in ``region``.

        Raises:
            PolicyNotFoundError: No policy does (a year without a policy is never judged
                under another year's rules); it names the registered regions and years.
        """
        policy = self._by_region_year.get((region, year))
        if policy is None:
            raise PolicyNotFoundError(region, year, self._regions_known())
        return policy

    def by_id(self, policy_id: str) -> Policy:
        """The policy with this id; ``PolicyNotFoundError`` if there is none."""
        policy = self._by_id.get(policy_id)
        if policy is None:
            raise PolicyNotFoundError(policy_id, None, self.ids())
        return policy

    def _regions_known(self) -> tuple[str, ...]:
        return tuple(r.describe() for r in self.regions())

    def __repr__(self) -> str:
        return f"Registry({', '.join(r.describe() for r in self.regions())})"


@functools.cache
def _bundled() -> Registry:
    # Built once: the bundled files never change while the process runs.
    return Registry()


def load_registry(*folders: str | Path, environ: Mapping[str, str] | None = None) -> Registry:
    """The bundled policies and those of ``folders`` (and of ``CE_RULES_POLICY_PATH``).

    Args:
        folders: Folders of ``*.toml`` policy files, added in order.
        environ: Where to read ``CE_RULES_POLICY_PATH`` from (e.g. ``os.environ``); its
            folders come before ``folders``. None (the default): not read.

    Raises:
        PolicyFileError: As ``Registry.with_folder``, naming the folder or the file.
    """
    registry = _bundled()
    listed = environ.get(POLICY_PATH_VARIABLE, "") if environ is not None else ""
    for folder in [*(f for f in listed.split(os.pathsep) if f), *folders]:
        registry = registry.with_folder(folder)
    return registry


def regions() -> tuple[Region, ...]:
    """The regions of the bundled policies (``load_registry(...).regions()`` adds folders')."""
    return _bundled().regions()
