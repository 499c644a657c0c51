// Minimal ambient declaration; the Lua wrapper in core/lua types what it uses.
declare module 'fengari' {
  const fengari: any;
  export = fengari;
}
