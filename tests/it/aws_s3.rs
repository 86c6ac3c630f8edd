//! aws_s3: the S3 policy store against moto server: the policy file read
//! back as Terraform put it, and the errors an operator can act on.

use aws_sdk_s3::primitives::ByteStream;
use tidegate::aws::{ErrorKind, S3PolicyStore};
use tidegate::ports::PolicyStorePort;

use crate::support::{MotoServer, unique};

/// A new bucket on the shared server, an SDK client and the store.
async fn rig() -> (aws_sdk_s3::Client, S3PolicyStore, String) {
    let config = MotoServer::shared().sdk_config().await;
    let sdk = aws_sdk_s3::Client::new(&config);
    let bucket = unique("tidegate-policy");
    sdk.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("CreateBucket");
    (sdk, S3PolicyStore::new(&config), bucket)
}

async fn put(sdk: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    sdk.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .expect("PutObject");
}

#[tokio::test]
async fn reads_the_policy_file_as_it_was_put() {
    let (sdk, store, bucket) = rig().await;
    let text = "version: 1\n# office hours → day profile\nresources: []\n";
    put(
        &sdk,
        &bucket,
        "policies/estate.yaml",
        text.as_bytes().to_vec(),
    )
    .await;
    let read = store
        .read(&bucket, "policies/estate.yaml")
        .await
        .expect("GetObject");
    assert_eq!(read, text);
}

#[tokio::test]
async fn a_missing_key_or_bucket_is_not_found_and_names_the_object() {
    let (_sdk, store, bucket) = rig().await;
    let err = store
        .read(&bucket, "policies/none.yaml")
        .await
        .expect_err("no such key");
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert_eq!(err.resource, format!("s3://{bucket}/policies/none.yaml"));

    let err = store
        .read(&unique("no-such-bucket"), "estate.yaml")
        .await
        .expect_err("no such bucket");
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn an_object_that_is_not_utf8_is_an_error_naming_it() {
    let (sdk, store, bucket) = rig().await;
    put(&sdk, &bucket, "estate.yaml", vec![b'a', 0xff, 0xfe, b'b']).await;
    let err = store
        .read(&bucket, "estate.yaml")
        .await
        .expect_err("not UTF-8");
    assert_eq!(err.kind, ErrorKind::Other);
    assert_eq!(err.resource, format!("s3://{bucket}/estate.yaml"));
    assert!(err.message.contains("UTF-8"), "{err}");
}
