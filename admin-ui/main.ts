// The admin UI's entry point: registers every element; index.html holds <mcpo-app>.
import './components/mcpo-app.ts'
