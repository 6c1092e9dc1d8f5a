"""Status and observability: health checks, the status summary, SLO, metrics, maintenance."""

from local_gateway.services.status.incidents import IncidentLog, ObservedHealth
from local_gateway.services.status.metrics import Metrics
from local_gateway.services.status.service import StatusService, observe_log

__all__ = ["IncidentLog", "Metrics", "ObservedHealth", "StatusService", "observe_log"]
