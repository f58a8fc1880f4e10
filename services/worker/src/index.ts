// The @nimbus/worker package's public surface; filled as its modules land.
export {};
