// The @nimbus/image package's public surface; filled as its modules land.
export {};
