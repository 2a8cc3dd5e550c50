// Package deploy holds what runs aoftool in a fleet: the image
// (Dockerfile), the Kubernetes manifests (kubernetes/) and the Prometheus
// alert rules with their unit tests (prometheus/). It is a module of its
// own so that the Kubernetes API types its tests validate the manifests
// against stay out of aoftool's dependencies; its tests build aoftool from
// the parent module as the Dockerfile does.
package deploy
