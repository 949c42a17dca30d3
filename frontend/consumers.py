"""The command-room screen's websocket: one socket per screen, in its tenant's group.

Refused (closed before the handshake completes) unless the session's user is a dispatcher or
tenant administrator of the very tenant named in the URL. The socket only receives; screens
send nothing that is acted upon.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import path

from services.directory import api as directory

from .dashboard_live import group_name, may_watch, user_group_name

REFUSED = 4403  # like HTTP 403, in the application range of close codes


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: tuple[str, ...] = ()

    async def connect(self) -> None:
        user = self.scope.get("user")
        tenant_id = self.scope["url_route"]["kwargs"]["tenant_id"]
        staff = await database_sync_to_async(directory.staff_info)(user) if user else None
        if (
            staff is None
            or not may_watch(staff)
            or staff.tenant_id != tenant_id
            or not await database_sync_to_async(directory.passes_two_factor)(
                user, self.scope.get("session")
            )
        ):
            await self.close(code=REFUSED)
            return
        # The tenant's cases, and this person's own alerts.
        self.groups_joined = (group_name(tenant_id), user_group_name(staff.user_id))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        """Screens have nothing to say; ignore rather than trust."""

    async def case_event(self, message: dict) -> None:
        await self.send_json({"event": message["event"], "case": message["case"]})

    async def staff_alert(self, message: dict) -> None:
        await self.send_json({"event": "staff.alerted", "alert": message["alert"]})


websocket_urlpatterns = [
    path("ws/dashboard/<int:tenant_id>/", DashboardConsumer.as_asgi()),
]
