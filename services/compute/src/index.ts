// The @nimbus/compute package's public surface; filled as its modules land.
export {};
