// What @carto/api-client throws for a refused call: its name and message, which carries our `error`; null if the call
// was not refused.
export async function refusal(call) {
  try {
    await call();
  } catch (error) {
    return {name: error.name, message: error.message};
  }
  return null;
}
