"""An ML2 mechanism driver for a cloud without agents (Magnetar's test bed, scripts/openstack/cloud.sh).

Every in-tree mechanism driver binds a port only when a live agent (or OVN chassis) serves the host; without one the
port's binding:vif_type is binding_failed and Nova aborts the boot (PortBindingFailed). This driver binds every port
on any host and any segment as vif_type ovs and reports it ACTIVE. There is no data plane: nothing forwards packets.
"""
from neutron_lib.api.definitions import portbindings
from neutron_lib import constants
from neutron_lib.plugins.ml2 import api


class MiniCloudMechanismDriver(api.MechanismDriver):

    def initialize(self):
        pass

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OVS,
                                {portbindings.CAP_PORT_FILTER: True, portbindings.OVS_HYBRID_PLUG: False},
                                status=constants.PORT_STATUS_ACTIVE)
            return
