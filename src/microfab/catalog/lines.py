"""Estimates for order lines: a network product's design, or a customer's uploaded model.

An order line is estimated once, when it is quoted or placed, on the kinds of machine the
network's factories have; the estimate is stored with the line and the factory plans with it.
The catalog's geometry code (manifold3d, trimesh, numpy) is imported on the first estimate, so
commands that never estimate start fast.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from microfab.catalog.errors import NotManufacturable
from microfab.catalog.model import LineEstimate, ParamValue, ProductTemplate
from microfab.network.model import Network

if TYPE_CHECKING:
    from microfab.catalog.geometry import Solid
    from microfab.catalog.service import CatalogService, MachineCheck

UPLOAD_PROCESSES = ("fdm",)
"""What an uploaded model is made by: it is printed."""


@dataclass(frozen=True)
class CheckedUpload:
    """An uploaded model that can be made: its solid, checks per kind of printer, estimate."""

    filename: str
    sha256: str
    solid: Solid
    checks: tuple[MachineCheck, ...]
    estimate: LineEstimate
    thumbnail_png: bytes = field(repr=False, default=b"")


class LineEstimator:
    """Estimates lines of one network's products, each design once (see ``CatalogService``).

    With ``isolated``, templates are built in a worker process under the request limits
    (``catalog.limits``), as a server must: a user's template that runs away then fails the
    one order instead of stalling the API.
    """

    def __init__(
        self, network: Network, catalog: CatalogService | None = None, isolated: bool = False
    ) -> None:
        self._network = network
        self._catalog = catalog
        self.isolated = isolated

    @property
    def catalog(self) -> CatalogService:
        if self._catalog is None:
            from microfab.catalog.limits import IsolatedBuilder, Limits  # heavy: geometry
            from microfab.catalog.registry import Registry
            from microfab.catalog.service import CatalogService

            builder = IsolatedBuilder(Limits()) if self.isolated else None
            self._catalog = CatalogService(Registry.from_environment(), builder)
        return self._catalog

    def estimate_line(
        self, product: ProductTemplate, values: Mapping[str, ParamValue], material: str
    ) -> LineEstimate | None:
        """The estimate for a product with a catalog template (None without one).

        Raises ``NotManufacturable`` when no machine of the network can make the design.
        """
        if product.geometry is None:
            return None
        from microfab.catalog.profiles import PROFILES
        from microfab.catalog.service import candidates

        template = self.catalog.template_of(product)
        processes = [
            op.process
            for op in product.routing
            if op.process in template.processes and op.process in PROFILES
        ]
        if not processes:
            return None
        chosen = candidates(self._network, processes, material)
        return self.catalog.estimate_design(template, values, chosen)

    def check_upload(
        self, data: bytes, filename: str, upload_id: str, thumbnail: bool = True
    ) -> CheckedUpload:
        """Read, check and estimate an uploaded model on every kind of printer in the network.

        Raises ``UploadRejected``/``UploadTooLarge`` for a bad file and ``NotManufacturable``
        when no printer can make it.
        """
        from microfab.catalog.exports import export
        from microfab.catalog.service import candidates, check_on, line_estimate
        from microfab.catalog.uploads import read_model

        solid = read_model(data, filename)
        checks = check_on(solid, candidates(self._network, UPLOAD_PROCESSES, None))
        if not checks:
            raise NotManufacturable(
                "no factory of this network has a 3D printer, so uploaded models cannot be made"
            )
        digest = hashlib.sha256(data).hexdigest()
        estimate = line_estimate("upload", upload_id, 1, digest[:16], solid, checks)
        png = export(solid, ".png") if thumbnail else b""
        return CheckedUpload(filename, digest, solid, checks, estimate, png)
