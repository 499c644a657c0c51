// fengari's internal object module: used only to cap string concatenation results (sandbox).
declare module 'fengari/src/lobject.js' {
  const lobject: any;
  export = lobject;
}
declare module 'fengari/src/ldebug.js' {
  const ldebug: any;
  export = ldebug;
}
