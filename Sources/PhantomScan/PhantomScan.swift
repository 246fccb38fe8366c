// Placeholder until the phantom generator lands.
enum PhantomScanModule {}
