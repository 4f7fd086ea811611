"""The one exception tree of microfab.

Every error a user can cause is a ``MicrofabError`` whose message says what was wrong and how to
fix it. The API maps each class to an HTTP status in one table (``microfab.api.problems``), and
the CLI turns any of them into exit code 2 with the message on one line::

    MicrofabError
    ├── InvalidInput            bad parameters, quantities, files            (422)
    │   ├── InvalidNetwork      a network file that does not validate        (422)
    │   └── InvalidParameter    a product parameter out of range or type     (422)
    ├── NotFound                unknown order, product, factory, job         (404)
    ├── Conflict                                                              (409)
    │   ├── IllegalTransition   an order state change the state machine forbids
    │   ├── IdempotencyMismatch a reused Idempotency-Key with another body
    │   └── StaleState          another writer changed the record first (retry)
    ├── NoCapableFactory        nothing in the network can make this line    (422)
    ├── OutOfStock              the material or component is not in stock    (409)
    ├── MachineError            a machine driver refused or failed           (502)
    ├── AuthenticationFailed    missing or unknown API key                   (401)
    └── PermissionDenied        the key's role may not do this               (403)
"""


class MicrofabError(Exception):
    """Root of every error microfab raises on purpose."""

    title = "microfab error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(MicrofabError):
    title = "Invalid input"


class InvalidNetwork(InvalidInput):
    title = "Invalid network file"


class InvalidParameter(InvalidInput):
    title = "Invalid product parameter"


class NotFound(MicrofabError):
    title = "Not found"


class Conflict(MicrofabError):
    title = "Conflict"


class IllegalTransition(Conflict):
    title = "Illegal state transition"


class IdempotencyMismatch(Conflict):
    title = "Idempotency key reused"


class StaleState(Conflict):
    title = "Changed by someone else"


class NoCapableFactory(MicrofabError):
    title = "No capable factory"


class OutOfStock(MicrofabError):
    title = "Out of stock"


class MachineError(MicrofabError):
    title = "Machine error"


class AuthenticationFailed(MicrofabError):
    title = "Authentication failed"


class PermissionDenied(MicrofabError):
    title = "Permission denied"
