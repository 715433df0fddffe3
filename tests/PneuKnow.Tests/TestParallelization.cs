// Test classes run one after another: torch's random generator is process-wide, so a test that trains
// while another consumes the generator would not reproduce its own numbers (determinism, resume and
// sharding tests compare runs exactly), and two trainings with 2 threads each on 2 cores only slow each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
