"""Background work: one persisted job queue for every domain, and the runner that drains it.

The queue itself (table, claims, leases, retries) is :mod:`local_gateway.store.jobs`; here are
the registry of kinds and enqueuing (:mod:`.queue`), the runner a gateway process starts in its
``cleanup_ctx`` (:mod:`.runner`) and the operator's probe kind (:mod:`.probe`).
"""

from local_gateway.services.jobs.probe import PROBE, enqueue_probes, register_probe
from local_gateway.services.jobs.queue import Handler, JobKind, JobKinds, JobQueue
from local_gateway.services.jobs.runner import JobRunner, worker_name
from local_gateway.store.jobs import JobRecord

__all__ = [
    "PROBE",
    "Handler",
    "JobKind",
    "JobKinds",
    "JobQueue",
    "JobRecord",
    "JobRunner",
    "enqueue_probes",
    "register_probe",
    "worker_name",
]
