// Svelte 5 with runes everywhere in the dashboard.
export default {
  compilerOptions: { runes: true },
};
