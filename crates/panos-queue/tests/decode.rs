//! Property tests of decoding: arbitrary bytes never panic the reader, and every job the
//! types can build survives a write and a read unchanged.

use panos_queue::fsio::decode;
use panos_queue::{Command, Job, JobId, JobKind, PostflightPolicy, Serial};
use proptest::prelude::*;

fn serial() -> impl Strategy<Value = Serial> {
    "[A-Za-z0-9]{1,32}".prop_map(|s| s.parse().unwrap())
}

fn job() -> impl Strategy<Value = Job> {
    (
        prop_oneof![
            serial().prop_map(|s| (JobKind::Standalone, vec![s])),
            (serial(), serial())
                .prop_filter("two different serials", |(a, b)| a != b)
                .prop_map(|(a, b)| (JobKind::HaPair, vec![a, b])),
        ],
        any::<bool>(),
        proptest::option::of("[0-9]{1,2}\\.[0-9]\\.[0-9]{1,2}(-h[0-9])?"),
        proptest::option::of(-5i32..5),
        any::<bool>(),
        any::<u128>(),
    )
        .prop_map(|((kind, devices), dry_run, version, priority, warn, id)| {
            let mut job = Job::new(JobId::from(uuid::Uuid::from_u128(id)), kind, devices);
            job.dry_run = dry_run;
            job.target_version = version.map(|v| v.parse().unwrap());
            job.priority = priority;
            if warn {
                job.options.postflight_failure = Some(PostflightPolicy::Warn);
            }
            job
        })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode::<Job>(&bytes);
        let _ = decode::<Command>(&bytes);
    }

    #[test]
    fn arbitrary_json_objects_are_refused_with_a_reason(
        keys in proptest::collection::btree_map("[a-z_]{1,12}", any::<i64>(), 0..6)
    ) {
        let text = serde_json::to_string(&keys).unwrap();
        let err = decode::<Job>(text.as_bytes()).unwrap_err();
        prop_assert!(!err.is_empty());
    }

    #[test]
    fn jobs_round_trip(job in job()) {
        let bytes = serde_json::to_vec_pretty(&job).unwrap();
        prop_assert_eq!(decode::<Job>(&bytes).unwrap(), job);
    }
}
