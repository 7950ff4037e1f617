#!/bin/sh
# Writes a kubeconfig for the kubemirror-remote ServiceAccount of the cluster kubectl points at (after
# `kubectl apply -k deploy/remote/` there), with context NAME:
#   deploy/remote/make-kubeconfig.sh NAME > remote.kubeconfig
#   kubemirror cluster add NAME --context NAME --kubeconfig remote.kubeconfig | kubectl --context SOURCE apply -f -
# The output holds a credential: keep it out of shells' history files and tickets.
set -eu
name="${1:?usage: make-kubeconfig.sh NAME [kubectl flags...]}"
shift
ns=kubemirror-remote
secret=kubemirror-remote-token
i=0
until token=$(kubectl "$@" -n "$ns" get secret "$secret" -o jsonpath='{.data.token}' 2>/dev/null) && [ -n "$token" ]; do
  i=$((i + 1))
  [ "$i" -lt 30 ] || { echo "make-kubeconfig.sh: secret $ns/$secret has no token (is deploy/remote applied?)" >&2; exit 1; }
  sleep 1
done
ca=$(kubectl "$@" -n "$ns" get secret "$secret" -o jsonpath='{.data.ca\.crt}')
server=$(kubectl "$@" config view --minify -o jsonpath='{.clusters[0].cluster.server}')
cat <<KUBECONFIG
apiVersion: v1
kind: Config
current-context: $name
clusters:
  - name: $name
    cluster:
      server: $server
      certificate-authority-data: $ca
users:
  - name: $name
    user:
      token: $(printf '%s' "$token" | base64 -d)
contexts:
  - name: $name
    context:
      cluster: $name
      user: $name
KUBECONFIG
