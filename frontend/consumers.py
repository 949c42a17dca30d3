"""The command-room screen's websocket: one socket per screen, in its tenant's group.

Refused (closed before the handshake completes) unless the session's user is a dispatcher or
tenant administrator of the very tenant named in the URL. The socket only receives; screens
send nothing that is acted upon.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import path

from services.directory import api as directory

from .dashboard_live import group_name, may_watch

REFUSED = 4403  # like HTTP 403, in the application range of close codes


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        tenant_id = self.scope["url_route"]["kwargs"]["tenant_id"]
        staff = await database_sync_to_async(directory.staff_info)(user) if user else None
        if not may_watch(staff) or staff.tenant_id != tenant_id:
            await self.close(code=REFUSED)
            return
        self.group = group_name(tenant_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        """Screens have nothing to say; ignore rather than trust."""

    async def case_event(self, message: dict) -> None:
        await self.send_json({"event": message["event"], "case": message["case"]})


websocket_urlpatterns = [
    path("ws/dashboard/<int:tenant_id>/", DashboardConsumer.as_asgi()),
]
