// The two seed Bucket documents, exactly as users write them (applied verbatim by several tests).
export const SEED_DOCUMENTS = `apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: Bucket
metadata: {name: my-s3-bucket, namespace: flux-system}
spec: {interval: 5m0s, url: s3://my-flux-bucket/path/to/manifests, secretRef: {name: s3-credentials}, suspend: false}
---
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: Bucket
metadata: {name: my-gcs-bucket, namespace: flux-system}
spec: {interval: 5m0s, url: gs://my-flux-bucket/path/to/manifests, secretRef: {name: gcs-credentials}, suspend: false}
`;
