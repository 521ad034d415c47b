/** @module Where things live on a Kubernetes node (the image layout of NODE-CONVENTION, and the files the payload writes). */

export const BIN = '/opt/k8s/bin';
export const IMAGES_DIR = '/opt/k8s/images';
export const SERVICES_DIR = '/etc/magnetar/services';
export const SUPERVISE = '/usr/local/sbin/magnetar-supervise';

export const K8S_DIR = '/etc/kubernetes';
export const PKI_DIR = `${K8S_DIR}/pki`;
export const ETCD_PKI_DIR = `${PKI_DIR}/etcd`;
export const KUBELET_DIR = '/var/lib/kubelet';
export const ETCD_DATA_DIR = '/var/lib/etcd';
export const CONTAINERD_DIR = '/var/lib/containerd';
export const CONTAINERD_CONFIG = '/etc/containerd/config.toml';
export const CONTAINERD_SOCKET = '/run/containerd/containerd.sock';
export const KUBELET_CONFIG = `${KUBELET_DIR}/config.yaml`;
export const KUBE_PROXY_CONFIG = `${K8S_DIR}/kube-proxy.yaml`;
export const FLANNEL_NET_CONF = '/etc/kube-flannel/net-conf.json';
export const FLANNEL_SUBNET_ENV = '/run/flannel/subnet.env';
export const CNI_CONF_DIR = '/etc/cni/net.d';
export const CNI_BIN_DIR = '/usr/lib/cni';
export const CNI_CONFLIST = `${CNI_CONF_DIR}/10-flannel.conflist`;
/** The resolver file pods with dnsPolicy Default (CoreDNS) get: the node's upstreams, never Docker's 127.0.0.11. */
export const POD_RESOLV_CONF = `${K8S_DIR}/resolv.conf`;

/** A kubeconfig file of one identity. */
export const kubeconfigPath = (identity: string): string => `${K8S_DIR}/${identity}.conf`;

/** The API port inside the node. */
export const APISERVER_PORT = 6443;
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
