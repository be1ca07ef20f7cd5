"""Services: what a block's tasks are for an application, from command line to finished files."""

from app.services.base import Service, TaskInfo
from app.services.registry import SERVICES, get_service, load_services

__all__ = ["SERVICES", "Service", "TaskInfo", "get_service", "load_services"]
